def test_the_openapi_document_describes_the_api(client):
    spec = client.get("/api/openapi.json").get_json()
    assert spec["openapi"] == "3.0.3"
    assert "/api/stock/scan" in spec["paths"]
    post = spec["paths"]["/api/stock/adjustments"]["post"]
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" and p["required"] for p in post["parameters"])
    assert "bearer" in spec["components"]["securitySchemes"]


def test_swagger_ui_is_served_from_local_files(client):
    page = client.get("/api/docs").get_data(as_text=True)
    assert "/api/swagger-ui/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower()
    with client.get("/api/swagger-ui/swagger-ui-bundle.js") as asset:
        assert asset.status_code == 200 and len(asset.get_data()) > 100_000
