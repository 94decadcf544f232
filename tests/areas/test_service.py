"""A village's committee as its notices are signed, whatever form the official list uses."""

import pytest

from backend.areas import service as areas_service


@pytest.mark.parametrize(
    ("village", "committee"),
    [
        ("高家庄村", "高家庄村民委员会"),
        ("蔬菜村委会", "蔬菜村民委员会"),
        ("新塘社区居委会", "新塘社区居民委员会"),
        ("东山根社区居民委员会", "东山根社区居民委员会"),
        ("高家庄村民委员会", "高家庄村民委员会"),
        ("新塘社区", "新塘社区居民委员会"),
        ("高家庄", "高家庄村民委员会"),
    ],
)
def test_a_notice_is_signed_by_the_committee_named_once(village: str, committee: str) -> None:
    assert areas_service.committee(village) == committee
