#!/usr/bin/python3
"""bench/dkim-corpus.py OUTDIR [COUNT] — a deterministic DKIM corpus for bench/dkim-corpus.sh.

COUNT (default 2000) messages of the shape of issue 21: about 47 KB mean
(log-normal sizes, 1 KB .. 400 KB), text/plain, multipart/alternative with
HTML, and messages with a base64 attachment; each signed by Debian's
python3-dkim (dkimpy) with the fixture keys of fixtures/dkim/keys (selectors
rsa2048, rsa1024, ed25519 of example.com, published in fixtures/dkim/dkim.zone),
c= relaxed/relaxed, relaxed/simple or simple/simple, and about one in ten
signed twice (a second signature by another key, as a list server or ESP
adds). t= is pinned and RSA PKCS#1 v1.5 and Ed25519 signatures are
deterministic, so the same COUNT gives byte-identical files.

Writes OUTDIR/NNNN.eml and OUTDIR/manifest.tsv (file, bytes, signatures).
Run with /usr/bin/python3 (python3-dkim, python3-nacl and python3-cryptography
are Debian packages). dkimpy does the RSA private-key operation in pure
Python, which costs seconds per message on a shared 2-core machine: here it
goes through python3-cryptography (OpenSSL) instead, which computes the same
bytes (RSASSA-PKCS1-v1_5 is deterministic).
"""
import base64
import os
import random
import sys
import time

import dkim
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa, utils

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "fixtures", "dkim"))
import generate as fixture_keys  # noqa: E402  (the fixture corpus generator: key paths, dkimpy key form)
from dkimkeys import dkimpy_private  # noqa: E402  (generate put fixtures/lib on the path)
DOMAIN = b"example.com"
T = 1700000000
# (selector, weight) and (canonicalization, weight), the mix of a receiving MX
KEYS = [("rsa2048", 6), ("rsa1024", 2), ("ed25519", 2)]
CANONS = [((b"relaxed", b"relaxed"), 7), ((b"relaxed", b"simple"), 2), ((b"simple", b"simple"), 1)]
SIGNED = [b"from", b"to", b"subject", b"date", b"message-id", b"mime-version", b"content-type",
          b"list-unsubscribe"]
WORDS = ("the of and to in is you that it he was for on are as with his they at be this have from or one had "
         "by word but not what all were we when your can said there use an each which she do how their if "
         "will up other about out many then them these so some her would make like him into time has look two "
         "more write go see number no way could people my than first water been call who oil its now find long "
         "down day did get come made may part order offer brand account newsletter unsubscribe").split()


_RSA = {}


def openssl_rsa_sign(h, pk):
    """dkim.RSASSA_PKCS1_v1_5_sign with the private key dict dkimpy parsed, through OpenSSL."""
    key = _RSA.get(pk["modulus"])
    if key is None:
        pub = rsa.RSAPublicNumbers(pk["publicExponent"], pk["modulus"])
        key = rsa.RSAPrivateNumbers(pk["prime1"], pk["prime2"], pk["privateExponent"], pk["exponent1"],
                                    pk["exponent2"], pk["coefficient"], pub).private_key()
        _RSA[pk["modulus"]] = key
    algs = {"sha256": hashes.SHA256(), "sha1": hashes.SHA1()}
    return key.sign(h.digest(), padding.PKCS1v15(), utils.Prehashed(algs[h.name]))


def private_key(name):
    """dkimpy's form of a fixture key (fixtures/dkim/generate.py)."""
    kind = "rsa" if name.startswith("rsa") else "ed25519"
    return dkimpy_private(open(fixture_keys.key_path(name), "rb").read(), kind)


def pick(rng, weighted):
    total = sum(w for _, w in weighted)
    x = rng.uniform(0, total)
    for item, w in weighted:
        x -= w
        if x <= 0:
            return item
    return weighted[-1][0]


def line_pool(rng):
    """4096 text lines; messages draw from them (drawing words per line is too slow in Python)."""
    pool = []
    for _ in range(4096):
        line = " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 13)))
        if rng.random() < 0.08:
            line += " "                      # trailing space, as mail clients leave them
        if rng.random() < 0.05:
            line = "\t" + line
        if rng.random() < 0.03:
            line = line.replace(" ", "  ", 1)  # a double space
        pool.append(line.encode())
    pool.extend([b""] * 500)                 # empty lines, about one in nine
    return pool


POOL = []


def text_lines(rng, nbytes):
    out, size = [], 0
    while size < nbytes:
        line = rng.choice(POOL)
        out.append(line)
        size += len(line) + 2
    return out


def html_lines(rng, nbytes):
    out, size = [b"<html><body>"], 0
    while size < nbytes:
        words = rng.choice(POOL).strip()
        line = b'<tr><td style="padding: 4px 8px; font-family: Arial, sans-serif;">' + words + b"</td></tr>"
        out.append(line)
        size += len(line) + 2
    out.append(b"</body></html>")
    return out


def base64_lines(rng, nbytes):
    raw = rng.randbytes(nbytes * 3 // 4)
    enc = base64.b64encode(raw)
    return [enc[i:i + 76] for i in range(0, len(enc), 76)]


def message(rng, i):
    size = int(min(400_000, max(1_000, rng.lognormvariate(10.35, 0.9))))
    kind = rng.random()
    boundary = b"=_bench_%04d" % i
    if kind < 0.4:
        ctype = b"text/plain; charset=utf-8"
        body = text_lines(rng, size)
    elif kind < 0.8:
        ctype = b'multipart/alternative; boundary="' + boundary + b'"'
        body = ([b"--" + boundary, b"Content-Type: text/plain; charset=utf-8", b""] + text_lines(rng, size // 3)
                + [b"--" + boundary, b"Content-Type: text/html; charset=utf-8", b""] + html_lines(rng, 2 * size // 3)
                + [b"--" + boundary + b"--"])
    else:
        ctype = b'multipart/mixed; boundary="' + boundary + b'"'
        body = ([b"--" + boundary, b"Content-Type: text/plain; charset=utf-8", b""] + text_lines(rng, 2000)
                + [b"--" + boundary, b"Content-Type: application/pdf", b"Content-Transfer-Encoding: base64",
                   b'Content-Disposition: attachment; filename="invoice.pdf"', b""]
                + base64_lines(rng, max(size - 2000, 600)) + [b"--" + boundary + b"--"])
    headers = [
        b"Received: from mail%d.example.com (mail%d.example.com [192.0.2.%d]) by mx.example.net with ESMTPS "
        b"id %08x; Tue, 14 Nov 2023 22:13:20 +0000" % (i % 7, i % 7, 1 + i % 250, i * 2654435761 % 2**32),
        b"From: Brand Example <news@example.com>",
        b"To: Reader %d <reader%d@example.net>" % (i, i),
        b"Subject: Offer number %d: %s" % (i, " ".join(rng.choice(WORDS) for _ in range(6)).encode()),
        b"Date: Tue, 14 Nov 2023 22:13:20 +0000",
        b"Message-ID: <bench.%d@example.com>" % i,
        b"MIME-Version: 1.0",
        b"Content-Type: " + ctype,
        b"List-Unsubscribe: <https://example.com/unsubscribe/%d>" % i,
    ]
    return b"\r\n".join(headers) + b"\r\n\r\n" + b"\r\n".join(body) + b"\r\n"


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: dkim-corpus.py OUTDIR [COUNT]")
    out = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    time.time = lambda: T  # dkimpy writes t= from time.time()
    dkim.RSASSA_PKCS1_v1_5_sign = openssl_rsa_sign
    keys = {name: private_key(name) for name, _ in KEYS}
    rng = random.Random(21)
    POOL.extend(line_pool(rng))
    os.makedirs(out, exist_ok=True)
    manifest = ["# file\tbytes\tsignatures (selector:c=)\n"]
    for i in range(count):
        msg = message(rng, i)
        sigs = [(pick(rng, KEYS), pick(rng, CANONS))]
        if rng.random() < 0.1:
            second = pick(rng, [(k, w) for k, w in KEYS if k != sigs[0][0]])
            sigs.append((second, pick(rng, CANONS)))
        for sel, canon in sigs:
            alg = b"ed25519-sha256" if sel == "ed25519" else b"rsa-sha256"
            msg = dkim.sign(msg, sel.encode(), DOMAIN, keys[sel], canonicalize=canon, signature_algorithm=alg,
                            include_headers=SIGNED, linesep=b"\r\n") + msg
        name = "%04d.eml" % i
        with open(os.path.join(out, name), "wb") as f:
            f.write(msg)
        manifest.append("%s\t%d\t%s\n" % (name, len(msg), " ".join(
            "%s:%s/%s" % (s, c[0].decode(), c[1].decode()) for s, c in sigs)))
    with open(os.path.join(out, "manifest.tsv"), "w") as f:
        f.writelines(manifest)


if __name__ == "__main__":
    main()
