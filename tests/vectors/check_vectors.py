#!/usr/bin/env python3
"""check_vectors.py - recompute envelope-v1.txt without libsodium.

An independent check of the StrideHub v1 envelope test vectors
(docs/protocol.md, sections 13 to 25): every key, id, fingerprint, session
key, header, associated data, ciphertext, signature and sealed envelope in
the file is rebuilt here from the fixed secrets and nonces, with Python's
hashlib (BLAKE2b) and the 'cryptography' package (Ed25519, X25519,
ChaCha20-Poly1305). XChaCha20-Poly1305 is HChaCha20 (written out below,
RFC draft-irtf-cfrg-xchacha) + ChaCha20-Poly1305-IETF. Then every sealed
value is opened again and the plaintext compared.

Usage: python3 check_vectors.py [envelope-v1.txt]
Needs: python3-cryptography (Debian) or `pip install cryptography`.
Exit status 0 if every value matches.
"""
import base64
import hashlib
import os
import struct
import sys

from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey, Ed25519PublicKey)
from cryptography.hazmat.primitives.asymmetric.x25519 import (
    X25519PrivateKey, X25519PublicKey)
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

FAILS = []


def check(name, got, want):
    if got != want:
        FAILS.append(name)
        print(f"MISMATCH {name}:\n  file: {want!r}\n  here: {got!r}")


def load(path):
    v = {}
    with open(path, encoding="ascii") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            k, _, val = line.partition(" = ")
            v[k] = val
    return v


def raw(pub):
    return pub.public_bytes(Encoding.Raw, PublicFormat.Raw)


def blake2b(data, n=32):
    return hashlib.blake2b(data, digest_size=n).digest()


def fp_text(pk):
    b32 = base64.b32encode(blake2b(pk)[:10]).decode()
    return "-".join(b32[i:i + 4] for i in range(0, 16, 4))


def b64url(b):
    return base64.urlsafe_b64encode(b).decode().rstrip("=")


# ---- XChaCha20-Poly1305-IETF ----

def _rotl(v, c):
    return ((v << c) & 0xffffffff) | (v >> (32 - c))


def _qr(s, a, b, c, d):
    s[a] = (s[a] + s[b]) & 0xffffffff; s[d] = _rotl(s[d] ^ s[a], 16)
    s[c] = (s[c] + s[d]) & 0xffffffff; s[b] = _rotl(s[b] ^ s[c], 12)
    s[a] = (s[a] + s[b]) & 0xffffffff; s[d] = _rotl(s[d] ^ s[a], 8)
    s[c] = (s[c] + s[d]) & 0xffffffff; s[b] = _rotl(s[b] ^ s[c], 7)


def hchacha20(key, nonce16):
    s = list(struct.unpack("<4I", b"expand 32-byte k")) + \
        list(struct.unpack("<8I", key)) + list(struct.unpack("<4I", nonce16))
    for _ in range(10):
        _qr(s, 0, 4, 8, 12); _qr(s, 1, 5, 9, 13)
        _qr(s, 2, 6, 10, 14); _qr(s, 3, 7, 11, 15)
        _qr(s, 0, 5, 10, 15); _qr(s, 1, 6, 11, 12)
        _qr(s, 2, 7, 8, 13); _qr(s, 3, 4, 9, 14)
    return struct.pack("<8I", *(s[0:4] + s[12:16]))


def xchacha_seal(key, nonce24, msg, ad):
    sub = hchacha20(key, nonce24[:16])
    return ChaCha20Poly1305(sub).encrypt(b"\0" * 4 + nonce24[16:], msg, ad)


def xchacha_open(key, nonce24, ct, ad):
    sub = hchacha20(key, nonce24[:16])
    return ChaCha20Poly1305(sub).decrypt(b"\0" * 4 + nonce24[16:], ct, ad)


# ---- the StrideHub layouts ----

def header(kind, epoch, seq):
    return struct.pack(">BBBBII", 0x53, 1, kind, 0, epoch, seq)


def assoc(hdr, runner, device):
    r, d = runner.encode(), device.encode()
    return hdr + bytes([len(r)]) + r + bytes([len(d)]) + d


def padded_id(s):
    b = s.encode()
    return bytes([len(b)]) + b + b"\0" * (32 - len(b))


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "envelope-v1.txt")
    v = load(path)
    h = lambda k: bytes.fromhex(v[k])
    runner, device = "anna", "pod1"

    # Keys.
    hub_sign = Ed25519PrivateKey.from_private_bytes(h("hub_sign_seed"))
    hub_sign_pk = raw(hub_sign.public_key())
    check("hub_sign_pk", hub_sign_pk, h("hub_sign_pk"))
    check("hub_sign_fp", blake2b(hub_sign_pk), h("hub_sign_fp"))
    check("hub_key_id", blake2b(hub_sign_pk)[:8], h("hub_key_id"))
    check("hub_sign_fp_text", fp_text(hub_sign_pk), v["hub_sign_fp_text"])
    hub_kx = X25519PrivateKey.from_private_bytes(h("hub_kx_sk"))
    hub_kx_pk = raw(hub_kx.public_key())
    check("hub_kx_pk", hub_kx_pk, h("hub_kx_pk"))
    check("hub_pk_text", "stride-hub-pk1:" + b64url(hub_sign_pk + hub_kx_pk),
          v["hub_pk_text"])
    dev_kx = X25519PrivateKey.from_private_bytes(h("device_kx_sk"))
    dev_pk = raw(dev_kx.public_key())
    check("device_kx_pk", dev_pk, h("device_kx_pk"))
    check("device_fp", blake2b(dev_pk), h("device_fp"))
    check("device_fp_text", fp_text(dev_pk), v["device_fp_text"])
    check("device_pk_text", "stride-dev-pk1:" + b64url(dev_pk),
          v["device_pk_text"])

    # crypto_kx: BLAKE2b-512(q || client_pk || server_pk); the client
    # takes rx = first half, tx = second; the server the other way round.
    q = dev_kx.exchange(X25519PublicKey.from_public_bytes(hub_kx_pk))
    check("kx agreement", hub_kx.exchange(
        X25519PublicKey.from_public_bytes(dev_pk)), q)
    keys = blake2b(q + dev_pk + hub_kx_pk, 64)
    dev_rx, dev_tx = keys[:32], keys[32:]
    check("device_rx", dev_rx, h("device_rx"))
    check("device_tx", dev_tx, h("device_tx"))
    check("hub_rx", dev_tx, h("hub_rx"))
    check("hub_tx", dev_rx, h("hub_tx"))

    # Sealed device message and ack.
    for p, key in (("tel", dev_tx), ("ack", dev_rx)):
        hdr = header(int(v[p + "_kind"]), int(v[p + "_epoch"]),
                     int(v[p + "_seq"]))
        check(p + "_header", hdr, h(p + "_header"))
        ad = assoc(hdr, runner, device)
        check(p + "_ad", ad, h(p + "_ad"))
        nonce = h(p + "_nonce")
        msg = v[p + "_json_text"].encode()
        sealed = hdr + nonce + xchacha_seal(key, nonce, msg, ad)
        check(p + "_sealed", sealed, h(p + "_sealed"))
        check(p + " opens", xchacha_open(key, sealed[12:36], sealed[36:], ad),
              msg)

    # Sealed plan: signed body, Ed25519 signature, then the envelope.
    plan = v["plan_json_text"].encode()
    body = (b"STRDPLN1" + padded_id(runner) + padded_id(device) +
            blake2b(dev_pk) + blake2b(hub_sign_pk)[:8] +
            struct.pack(">QQQH", int(v["plan_version"]),
                        int(v["plan_issued_ms"]), int(v["plan_expires_ms"]),
                        len(plan)) + plan)
    check("plan_signed_body", body, h("plan_signed_body"))
    sig = hub_sign.sign(body)
    check("plan_signature", sig, h("plan_signature"))
    Ed25519PublicKey.from_public_bytes(hub_sign_pk).verify(sig, body)
    hdr = header(6, 0, 0)
    check("plan_header", hdr, h("plan_header"))
    ad = assoc(hdr, runner, device)
    check("plan_ad", ad, h("plan_ad"))
    nonce = h("plan_nonce")
    sealed = hdr + nonce + xchacha_seal(dev_rx, nonce, body + sig, ad)
    check("plan_sealed", sealed, h("plan_sealed"))
    check("plan opens", xchacha_open(dev_rx, nonce, sealed[36:], ad),
          body + sig)

    # Heartbeat.
    beat = (b"STRDHBT1" + blake2b(hub_sign_pk)[:8] +
            struct.pack(">QQ", int(v["beat_hub_ms"]), int(v["beat_seq"])))
    check("beat", beat + hub_sign.sign(beat), h("beat"))

    # Rotation: signed by the old key, then by the new one, same body.
    nxt = Ed25519PrivateKey.from_private_bytes(h("next_sign_seed"))
    nxt_pk = raw(nxt.public_key())
    check("next_sign_pk", nxt_pk, h("next_sign_pk"))
    check("next_key_id", blake2b(nxt_pk)[:8], h("next_key_id"))
    rot = (b"STRDROT1" + blake2b(hub_sign_pk)[:8] + nxt_pk + hub_kx_pk +
           struct.pack(">Q", int(v["rot_issued_ms"])))
    check("rot", rot + hub_sign.sign(rot) + nxt.sign(rot), h("rot"))

    if FAILS:
        print(f"check_vectors: {len(FAILS)} mismatches")
        return 1
    print(f"check_vectors: every value in {os.path.basename(path)} matches")
    return 0


if __name__ == "__main__":
    sys.exit(main())
