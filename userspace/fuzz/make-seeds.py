#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Write the seed corpus for pdu_fuzz: NVMe/TCP byte streams a host sends.

Each file is one connection's host-to-controller bytes: PDUs back to back,
with real header and data digests (CRC32C, little endian) where the stream
negotiates them. pdu_fuzz.c runs every input under several controller
configurations; the seeds are written for the first one (digests allowed,
MAXH2CDATA 4096), and some of them also fit the others.

Usage: make-seeds.py [OUTDIR]   (default: corpus/ next to this script)
"""
import os
import struct
import sys

ICREQ, H2C_TERM, CMD, H2C_DATA = 0x00, 0x02, 0x04, 0x06
F_HDGST, F_DDGST, F_LAST = 0x01, 0x02, 0x04
OPC_FLUSH, OPC_WRITE, OPC_READ = 0x00, 0x01, 0x02
SGL_OFFSET_DATA = 0x01     # data block descriptor, offset: in-capsule data
SGL_TRANSPORT = 0x5A       # transport data block: data solicited by R2T


def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


assert crc32c(b"123456789") == 0xE3069283


def digest(data):
    return struct.pack("<I", crc32c(data))


def pdu(ptype, flags, hdr_rest, data=b"", hdgst=False, ddgst=False, pad=0):
    """One PDU: common header + rest of header [+ HDGST] [+ pad + data
    [+ DDGST]]."""
    hlen = 8 + len(hdr_rest)
    hl = hlen + (4 if hdgst else 0)
    if hdgst:
        flags |= F_HDGST
    if data and ddgst:
        flags |= F_DDGST
    pdo = hl + pad if data else 0
    plen = hl + (pad + len(data) + (4 if ddgst else 0) if data else 0)
    hdr = struct.pack("<BBBBI", ptype, flags, hlen, pdo, plen) + hdr_rest
    out = hdr + (digest(hdr) if hdgst else b"")
    if data:
        out += bytes(pad) + data + (digest(data) if ddgst else b"")
    assert len(out) == plen
    return out


def icreq(hpda=0, dgst=0, maxr2t=0, pfv=0):
    rest = struct.pack("<HBBI", pfv, hpda, dgst, maxr2t) + bytes(112)
    return pdu(ICREQ, 0, rest)


def sqe(opcode, cid, sgl_type=0, sgl_len=0, nsid=1):
    s = struct.pack("<BBHI", opcode, 0x40, cid, nsid) + bytes(16)
    s += struct.pack("<QI3xB", 0, sgl_len, sgl_type)  # DPTR (SGL), 24..39
    s += bytes(64 - len(s))
    assert len(s) == 64
    return s


def cmd(opcode, cid, sgl_type=0, sgl_len=0, data=b"", pad=0, **dg):
    return pdu(CMD, 0, sqe(opcode, cid, sgl_type, sgl_len), data, pad=pad,
               **dg)


def h2c_data(cccid, ttag, offset, data, last=False, **dg):
    rest = struct.pack("<HHII4x", cccid, ttag, offset, len(data))
    return pdu(H2C_DATA, F_LAST if last else 0, rest, data, **dg)


def h2c_term(fes, fei, echo=b""):
    """H2CTermReq: no digests, the echoed header right after it."""
    rest = struct.pack("<HI10x", fes, fei)
    hdr = struct.pack("<BBBBI", H2C_TERM, 0, 24, 0, 24 + len(echo)) + rest
    return hdr + echo


def payload(n, seed=1):
    return bytes((seed * 37 + i * 11) & 0xFF for i in range(n))


def seeds():
    dg = dict(hdgst=True, ddgst=True)
    yield "01-icreq", icreq()
    yield "02-flush", icreq(maxr2t=3) + cmd(OPC_FLUSH, 1)
    yield "03-write-in-capsule", icreq() + cmd(
        OPC_WRITE, 2, SGL_OFFSET_DATA, 64, payload(64))
    # 96 bytes solicited by R2T; with MAXH2CDATA 64 it takes two windows.
    yield "04-write-r2t", icreq() + cmd(
        OPC_WRITE, 3, SGL_TRANSPORT, 96) + h2c_data(
            3, 0, 0, payload(64, 2)) + h2c_data(
                3, 0, 64, payload(32, 3), last=True)
    yield "05-digests", icreq(dgst=F_HDGST | F_DDGST) + cmd(
        OPC_WRITE, 4, SGL_OFFSET_DATA, 32, payload(32, 4), **dg) + cmd(
            OPC_WRITE, 5, SGL_TRANSPORT, 48, **dg) + h2c_data(
                5, 0, 0, payload(48, 5), last=True, **dg)
    # HPDA 7: C2HData for the read is padded to 32 bytes.
    yield "06-hpda-read", icreq(hpda=7, dgst=F_HDGST) + cmd(
        OPC_READ, 6, SGL_TRANSPORT, 200, hdgst=True)
    yield "07-h2c-term", icreq() + h2c_term(0x01, 2, bytes(8))
    yield "08-cmd-before-icreq", cmd(OPC_FLUSH, 7)
    yield "09-icreq-twice", icreq() + icreq()
    yield "10-padded-capsule", icreq() + cmd(
        OPC_WRITE, 8, SGL_OFFSET_DATA, 16, payload(16, 8), pad=56)
    yield "11-bad-pfv", icreq(pfv=1)
    # Five writes waiting for data on a four-command queue.
    yield "12-queue-full", icreq() + b"".join(
        cmd(OPC_WRITE, 10 + i, SGL_TRANSPORT, 4096) for i in range(5))
    # H2CData beyond the open window.
    yield "13-h2c-out-of-window", icreq() + cmd(
        OPC_WRITE, 20, SGL_TRANSPORT, 8192) + h2c_data(
            20, 0, 4096, payload(64, 9))
    # A header digest that does not match.
    bad = bytearray(icreq(dgst=F_HDGST) + cmd(OPC_FLUSH, 21, hdgst=True))
    bad[-1] ^= 0xFF
    yield "14-bad-hdgst", bytes(bad)
    # H2CData that carries no data (PLEN == HLEN).
    empty = struct.pack("<BBBBIHHII4x", H2C_DATA, 0, 24, 0, 24, 22, 0, 0, 0)
    yield "15-h2c-data-empty", icreq() + cmd(
        OPC_WRITE, 22, SGL_TRANSPORT, 64) + empty
    # H2CTermReq whose (unchecked) PDO points past its PLEN.
    term = bytearray(h2c_term(0x02, 0))
    term[3] = 255
    yield "16-h2c-term-pdo", icreq() + bytes(term)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "corpus")
    os.makedirs(out, exist_ok=True)
    for name, data in seeds():
        with open(os.path.join(out, name + ".bin"), "wb") as f:
            f.write(data)
        print(f"{name}.bin: {len(data)} bytes")


if __name__ == "__main__":
    main()
