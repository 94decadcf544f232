from fastapi.testclient import TestClient


def test_area_tree_reads(client: TestClient) -> None:
    area = client.get("/api/v1/areas/610923102217").json()
    assert area == {
        "code": "610923102217",
        "name": "冷水沟村委会",
        "level": "village",
        "parent_code": "610923102",
    }
    children = client.get("/api/v1/areas/610923/children").json()
    assert children["count"] == 11  # 宁陕县 has 11 townships in areas.csv
    assert all(
        c["level"] == "township" and c["code"].startswith("610923") for c in children["data"]
    )
    path = client.get("/api/v1/areas/610923102217/path").json()
    assert [a["name"] for a in path["data"]] == [
        "陕西省",
        "安康市",
        "宁陕县",
        "江口镇",
        "冷水沟村委会",
    ]
    roots = client.get("/api/v1/areas").json()
    assert {a["name"] for a in roots["data"]} == {"甘肃省", "陕西省", "安徽省"}


def test_search_by_name_within_an_area(client: TestClient) -> None:
    found = client.get("/api/v1/areas", params={"q": "严家坪"}).json()
    assert [a["code"] for a in found["data"]] == ["610923101203"]
    assert (
        client.get("/api/v1/areas", params={"q": "严家坪", "under": "620422"}).json()["count"] == 0
    )
    many = client.get("/api/v1/areas", params={"q": "村", "limit": 5}).json()
    assert many["count"] == 491 and len(many["data"]) == 5  # the count is of all matches


def test_unknown_area_is_404_in_chinese(client: TestClient) -> None:
    response = client.get("/api/v1/areas/999999")
    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "message": "没有这个地区", "detail": None}
    assert client.get("/api/v1/areas", params={"under": "abc"}).status_code == 422
