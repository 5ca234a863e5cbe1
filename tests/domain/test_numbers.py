"""Strict E.164 numbers, calling codes and DIDs."""

from __future__ import annotations

import pytest

from callcontrol.domain.errors import InvalidNumber, InvalidValue
from callcontrol.domain.numbers import Did, NumberKind, calling_code, is_e164, require_e164


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        pytest.param("+33612345678", True, id="France"),
        pytest.param("+1234567", True, id="shortest: 7 digits"),
        pytest.param("+123456789012345", True, id="longest: 15 digits"),
        pytest.param("+123456", False, id="too short"),
        pytest.param("+1234567890123456", False, id="too long"),
        pytest.param("33612345678", False, id="no plus"),
        pytest.param("+0612345678", False, id="leading zero"),
        pytest.param("+33 6 12 34 56 78", False, id="spaces"),
        pytest.param("+3361234567a", False, id="letter"),
        pytest.param("+33612345678\n", False, id="trailing newline"),
        pytest.param("", False, id="empty"),
        pytest.param("+٣٣٦١٢٣٤٥٦٧٨", False, id="non-ASCII digits"),
    ],
)
def test_is_e164(number: str, valid: bool) -> None:
    assert is_e164(number) is valid
    if valid:
        assert require_e164(number) == number
    else:
        with pytest.raises(InvalidNumber) as caught:
            require_e164(number)
        assert caught.value.code == "invalid_number"
        assert caught.value.number == number


@pytest.mark.parametrize(
    ("number", "code"),
    [
        pytest.param("+14155550123", "1", id="NANP"),
        pytest.param("+79161234567", "7", id="Russia"),
        pytest.param("+33612345678", "33", id="France"),
        pytest.param("+442071234567", "44", id="UK"),
        pytest.param("+35312345678", "353", id="Ireland"),
        pytest.param("+97141234567", "971", id="UAE"),
        pytest.param("+85212345678", "852", id="Hong Kong"),
    ],
)
def test_calling_code(number: str, code: str) -> None:
    assert calling_code(number) == code


def test_did() -> None:
    did = Did("+18005551234", "US", NumberKind.TOLL_FREE)
    assert did.kind.value == "toll_free"


@pytest.mark.parametrize(
    ("e164", "country", "error"),
    [
        pytest.param("18005551234", "US", InvalidNumber, id="not E.164"),
        pytest.param("+18005551234", "usa", InvalidValue, id="bad country"),
    ],
)
def test_invalid_did_raises(e164: str, country: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        Did(e164, country, NumberKind.TOLL)
