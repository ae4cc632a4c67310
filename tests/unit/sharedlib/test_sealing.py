import pytest

from shared.crypto.keyring import KeyWrapper
from shared.crypto.sealing import (
    Binding,
    Sealed,
    SealError,
    generate_private_key,
    open_sealed,
    public_bytes,
    seal,
)

BINDING = Binding("m1", "c1", "careunit:U1")


@pytest.fixture(scope="module")
def key():
    private = generate_private_key()
    return private, public_bytes(private)


def test_round_trip(key):
    private, public = key
    sealed = seal(b"ont i halsen", public_key=public, key_id="k1", binding=BINDING)
    assert b"halsen" not in sealed.ciphertext.encode()
    assert open_sealed(sealed, private_key=private, binding=BINDING) == b"ont i halsen"


@pytest.mark.parametrize("other", [Binding("m2", "c1", "careunit:U1"),
                                   Binding("m1", "c2", "careunit:U1"),
                                   Binding("m1", "c1", "careunit:U2")])
def test_ciphertext_moved_to_another_row_or_recipient_does_not_open(key, other):
    private, public = key
    sealed = seal(b"x", public_key=public, key_id="k1", binding=BINDING)
    with pytest.raises(SealError):
        open_sealed(sealed, private_key=private, binding=other)


def test_wrong_key_and_tampering_fail(key):
    private, public = key
    sealed = seal(b"x", public_key=public, key_id="k1", binding=BINDING)
    with pytest.raises(SealError):
        open_sealed(sealed, private_key=generate_private_key(), binding=BINDING)
    flipped = sealed.ciphertext[:-6] + ("A" if sealed.ciphertext[-6] != "A" else "B") \
        + sealed.ciphertext[-5:]
    with pytest.raises(SealError):
        open_sealed(Sealed(key_id="k1", ciphertext=flipped), private_key=private, binding=BINDING)


def test_key_wrapping_binds_the_key_id():
    wrapper = KeyWrapper(b"k" * 32)
    wrapped = wrapper.wrap("key-1", b"secret material")
    assert wrapper.unwrap("key-1", wrapped) == b"secret material"
    with pytest.raises(Exception):
        wrapper.unwrap("key-2", wrapped)
    with pytest.raises(Exception):
        KeyWrapper(b"o" * 32).unwrap("key-1", wrapped)
