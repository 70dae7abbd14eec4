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


def test_the_document_tells_the_truth_about_limits_errors_and_refusals(client):
    spec = client.get("/api/openapi.json").get_json()
    limits = []

    def walk(node):
        if isinstance(node, dict):
            limits.extend(v for k, v in node.items() if k in ("minimum", "maximum") and isinstance(v, str))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(spec)
    assert limits == []  # numbers, not "0.000"
    assert list(spec["components"]["responses"]["DEFAULT_ERROR"]["content"]) == ["application/problem+json"]
    sale = spec["paths"]["/api/sales"]["post"]["responses"]
    assert {"201", "404", "409", "422", "503"} <= set(sale)
    assert "insufficient_stock" in sale["409"]["description"] and "cap_reached" in sale["409"]["description"]
    quantity = spec["components"]["schemas"]["CartLineIn"]["properties"]["quantity"]
    assert (quantity["type"], quantity["format"]) == ("string", "decimal")
