"""model-card.schema.json (generated from the app's zod schema) is the card's one definition."""

import json
from pathlib import Path

import pytest

from scsonet.export import CardError, base_reference, validate_card

MODELS_DIR = Path(__file__).resolve().parents[1]


def _shipped_card():
    return json.loads((MODELS_DIR / "scsonet-isic2017-v1.json").read_text())


def test_the_shipped_card_validates():
    validate_card(_shipped_card())


def test_a_base_with_checkpoint_sha256_instead_of_sha256_is_rejected_by_name():
    card = {**_shipped_card(), "base": {"name": "scsonet-isic2017", "version": "1.0.0", "checkpoint_sha256": "a" * 64}}
    with pytest.raises(CardError) as info:
        validate_card(card)
    assert "base: 'sha256' is a required property" in str(info.value)


def test_every_bad_field_is_listed():
    card = {**_shipped_card(), "version": "1", "threshold": 2}
    del card["file"]
    with pytest.raises(CardError) as info:
        validate_card(card)
    message = str(info.value)
    assert message.startswith("the model card of scsonet-isic2017 1 does not match model-card.schema.json: ")
    assert "(card): 'file' is a required property" in message
    assert "threshold: 2 is greater than or equal to the maximum of 1" in message
    assert "version: '1' does not match" in message


def test_old_checkpoint_base_references_are_renamed_for_the_card():
    old = {"name": "m", "version": "1.0.0", "checkpoint_sha256": "b" * 64}
    assert base_reference(old) == {"name": "m", "version": "1.0.0", "sha256": "b" * 64}
    assert base_reference(None) is None
