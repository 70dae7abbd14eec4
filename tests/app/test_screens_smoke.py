import pytest

PAGES = [
    "/",
    "/stock/lookup",
    "/stock/lookup?code=8991000000300",
    "/stock/on-hand",
    "/stock/card",
    "/stock/adjust",
    "/stock/transfer",
    "/stock/labels",
]


@pytest.mark.parametrize("path", PAGES)
def test_every_screen_renders_for_a_manager(client, login, demo, path):
    login("manager")
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
