import pytest


@pytest.mark.django_db
def test_first_visit_carries_no_optional_cookie(client, categories):
    response = client.get("/t/set/")
    assert set(response.cookies) == {"necessary_c"}
