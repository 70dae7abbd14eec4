"""The cooperative's members: who they are (NIK, KK), where they live, their category and standing."""

from datetime import date

from sqlalchemy import CheckConstraint, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import TimestampMixin, db

MEMBER_CATEGORIES = ("household", "micro_business", "farmer", "fisher")
MEMBER_STATUSES = ("active", "suspended", "left")


class Member(TimestampMixin, db.Model):
    """A member of the KKMP; one household card (KK) may cover several members, a NIK only one."""

    __tablename__ = "member"
    __table_args__ = (
        CheckConstraint("category IN ('household','micro_business','farmer','fisher')", name="category"),
        CheckConstraint("status IN ('active','suspended','left')", name="status"),
        CheckConstraint("length(nik) = 16", name="nik_length"),
        CheckConstraint("length(kk_number) = 16", name="kk_number_length"),
        CheckConstraint("nib IS NULL OR length(nib) = 13", name="nib_length"),
        # A micro business buys subsidised LPG under its business ID (NIB).
        CheckConstraint("category <> 'micro_business' OR nib IS NOT NULL", name="nib_for_micro_business"),
        CheckConstraint("length(member_number) > 0", name="member_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_number: Mapped[str] = mapped_column(String(20), unique=True)
    full_name: Mapped[str] = mapped_column(String(120))
    nik: Mapped[str] = mapped_column(String(16), unique=True, index=True)
    kk_number: Mapped[str] = mapped_column(String(16), index=True)
    address: Mapped[str] = mapped_column(Text, default="")
    rt: Mapped[str] = mapped_column(String(3))
    rw: Mapped[str] = mapped_column(String(3))
    kelurahan: Mapped[str] = mapped_column(String(80))
    category: Mapped[str] = mapped_column(String(20))
    nib: Mapped[str | None] = mapped_column(String(13))
    status: Mapped[str] = mapped_column(String(10), default="active")
    join_date: Mapped[date]
    phone: Mapped[str] = mapped_column(String(20), default="")

    @property
    def can_buy_as_member(self) -> bool:
        return self.status == "active"
