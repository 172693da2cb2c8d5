"""Masking: examples from the standard, and properties over generated ID numbers and phones."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.masking import mask_id_number, mask_name, mask_phone, mask_record, scrub_text

ID_NUMBERS = st.from_regex(r"\A[1-8][0-9]{16}[0-9X]\Z")
MOBILES = st.from_regex(r"\A1[3-9][0-9]{9}\Z")
#: Free text around a number; may hold any character, digits included.
TEXT = st.text(max_size=40)


def _no_digit_at(end: int) -> st.SearchStrategy[str]:
    return TEXT.filter(lambda s: not (s and s[end].isdigit()))


@pytest.mark.parametrize(
    ("fn", "value", "expected"),
    [
        (mask_id_number, "360322199001011234", "3603**********1234"),
        (mask_id_number, "36032219900101123X", "3603**********123X"),
        (mask_id_number, "360322900101123", "3603*******1123"),
        (mask_id_number, "1234567", "*******"),
        (mask_id_number, "12345678", "********"),
        (mask_id_number, "", ""),
        (mask_phone, "13812345678", "138****5678"),
        (mask_phone, "138****5678", "138****5678"),
        (mask_phone, "0851-2345678", "********5678"),
        (mask_phone, "1234", "****"),
        (mask_name, "张三华", "张*华"),
        (mask_name, "张三", "张*"),
        (mask_name, "张", "*"),
        (mask_name, "欧阳娜娜", "欧**娜"),
        (mask_name, "John Smith", "J*"),
        (mask_name, "", ""),
    ],
)
def test_examples(fn, value: str, expected: str) -> None:  # type: ignore[no-untyped-def]
    assert fn(value) == expected


@given(ID_NUMBERS)
def test_masked_id_number_keeps_length_and_ends_and_hides_the_number(id_number: str) -> None:
    masked = mask_id_number(id_number)
    assert len(masked) == len(id_number) == 18
    assert id_number not in masked
    assert masked[:4] == id_number[:4] and masked[-4:] == id_number[-4:]
    assert masked[4:-4] == "*" * 10


@given(TEXT)
def test_masked_id_number_keeps_any_length(value: str) -> None:
    masked = mask_id_number(value)
    assert len(masked) == len(value)
    assert sum(ch != "*" for ch in masked) <= 8
    if len(value) > 0 and "*" not in value:
        assert masked != value


@given(MOBILES)
def test_masked_phone_hides_the_number(phone: str) -> None:
    masked = mask_phone(phone)
    assert phone not in masked
    assert masked == phone[:3] + "****" + phone[-4:]


@given(st.one_of(ID_NUMBERS, MOBILES, TEXT))
def test_masking_twice_changes_nothing(value: str) -> None:
    for mask in (mask_id_number, mask_phone, mask_name):
        assert mask(mask(value)) == mask(value)


@given(TEXT)
def test_masked_phone_of_any_shape_shows_at_most_four_characters(value: str) -> None:
    shown = [ch for ch in mask_phone(value) if ch != "*"]
    assert len(shown) <= 7


@given(_no_digit_at(-1), ID_NUMBERS, TEXT)
def test_scrub_text_never_leaves_a_full_id_number(before: str, id_number: str, after: str) -> None:
    scrubbed = scrub_text(before + id_number + after)
    assert id_number not in scrubbed
    assert id_number[-4:] in scrubbed or after[:1].isdigit() or after[:1] in "Xx"


@given(TEXT, ID_NUMBERS, TEXT)
def test_scrub_text_hides_id_numbers_even_inside_digit_runs(before: str, id_number: str, after: str) -> None:
    assert id_number not in scrub_text(before + id_number + after)


@given(_no_digit_at(-1), MOBILES, _no_digit_at(0))
def test_scrub_text_never_leaves_a_full_mobile(before: str, phone: str, after: str) -> None:
    scrubbed = scrub_text(before + phone + after)
    assert phone not in scrubbed
    assert phone[7:] in scrubbed


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("身份证360322199001011234，电话13812345678。", "身份证3603**********1234，电话138****5678。"),
        ("call +86 138-1234-5678 now", "call +86 138-****-5678 now"),
        ("id=36032219900101123x", "id=3603**********123x"),
        ("card 6222021234567890123", "card 6222***********0123"),
        ("订单 12345678901 共 3 人, 2025-03-01", "订单 12345678901 共 3 人, 2025-03-01"),  # not a mobile prefix
        ("L0000123 年龄 45", "L0000123 年龄 45"),
    ],
)
def test_scrub_text_examples(text: str, expected: str) -> None:
    assert scrub_text(text) == expected


def test_mask_record_masks_the_three_fields_unless_pii() -> None:
    record = {"laborer_id": "L1", "name": "张三华", "id_number": "360322199001011234", "phone": "13812345678"}
    masked = mask_record(record, pii=False)
    assert masked == {"laborer_id": "L1", "name": "张*华", "id_number": "3603**********1234", "phone": "138****5678"}
    assert record["name"] == "张三华"  # the input is left alone
    assert mask_record(record, pii=True) == record and mask_record(record, pii=True) is not record
    assert mask_record({"name": None, "age": 40}, pii=False) == {"name": None, "age": 40}
