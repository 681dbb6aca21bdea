"""Just enough of the Kafka wire protocol, written by hand, to send malformed and edge-case requests."""
import socket
import struct
import time


# ---------------------------------------------------------------------------- primitive encoders

def i8(v): return struct.pack(">b", v)
def i16(v): return struct.pack(">h", v)
def i32(v): return struct.pack(">i", v)
def i64(v): return struct.pack(">q", v)


def uvarint(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def varint(v):
    return uvarint((v << 1) ^ (v >> 63))  # zigzag


def string(s):          # STRING / NULLABLE_STRING
    if s is None:
        return i16(-1)
    b = s.encode()
    return i16(len(b)) + b


def compact_string(s):  # COMPACT_(NULLABLE_)STRING
    if s is None:
        return uvarint(0)
    b = s.encode()
    return uvarint(len(b) + 1) + b


def compact_bytes(b):
    return uvarint(0) if b is None else uvarint(len(b) + 1) + b


TAGS_NONE = b"\x00"


# ---------------------------------------------------------------------------- primitive decoder

class Reader:
    def __init__(self, buf):
        self.buf, self.pos = buf, 0

    def take(self, n):
        if self.pos + n > len(self.buf):
            raise ValueError(f"response too short: need {n} bytes at {self.pos}, have {len(self.buf)}")
        b = self.buf[self.pos:self.pos + n]
        self.pos += n
        return b

    def i16(self): return struct.unpack(">h", self.take(2))[0]
    def i32(self): return struct.unpack(">i", self.take(4))[0]
    def i64(self): return struct.unpack(">q", self.take(8))[0]

    def uvarint(self):
        shift = value = 0
        while True:
            b = self.take(1)[0]
            value |= (b & 0x7F) << shift
            if not b & 0x80:
                return value
            shift += 7

    def string(self):
        n = self.i16()
        return None if n < 0 else self.take(n).decode()

    def compact_string(self):
        n = self.uvarint()
        return None if n == 0 else self.take(n - 1).decode()

    def tags(self):
        for _ in range(self.uvarint()):
            self.uvarint()
            self.take(self.uvarint())

    def remaining(self):
        return len(self.buf) - self.pos


# ---------------------------------------------------------------------------- CRC-32C (Castagnoli)

def _crc_table():
    poly = 0x82F63B78
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ poly if c & 1 else c >> 1
        table.append(c)
    return table


_CRC_TABLE = _crc_table()


def crc32c(data):
    crc = 0xFFFFFFFF
    for byte in data:
        crc = _CRC_TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def record_batch(values, base_timestamp=None):
    """A magic-2 record batch (no compression, no producer id) holding `values` (bytes) without keys."""
    ts = int(time.time() * 1000) if base_timestamp is None else base_timestamp
    recs = b""
    for i, v in enumerate(values):
        body = i8(0) + varint(0) + varint(i) + varint(-1) + varint(len(v)) + v + uvarint(0)
        recs += varint(len(body)) + body
    after_crc = (i16(0) + i32(len(values) - 1) + i64(ts) + i64(ts) + i64(-1) + i16(-1) + i32(-1)
                 + i32(len(values)) + recs)
    crc = crc32c(after_crc)
    after_len = i32(0) + i8(2) + struct.pack(">I", crc) + after_crc   # partition leader epoch, magic, crc
    return i64(0) + i32(len(after_len)) + after_len


# ---------------------------------------------------------------------------- connection

class Conn:
    def __init__(self, port, timeout=10):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.corr = 0

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send_raw(self, data):
        self.sock.sendall(data)

    def send_frame(self, payload):
        self.sock.sendall(i32(len(payload)) + payload)

    def recv_exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise ConnectionError(f"connection closed after {len(buf)} of {n} bytes")
            buf += chunk
        return buf

    def recv_frame(self):
        n = struct.unpack(">i", self.recv_exact(4))[0]
        return self.recv_exact(n)

    def request(self, api_key, version, body, flexible_header=False, client_id="sluice-e2e"):
        """Sends a request with header v1 (or v2 when flexible_header) and returns (correlation id, frame)."""
        self.corr += 1
        hdr = i16(api_key) + i16(version) + i32(self.corr) + string(client_id)
        if flexible_header:
            hdr += TAGS_NONE
        self.send_frame(hdr + body)
        return self.corr

    def closed_by_peer(self, timeout=10):
        """True if the broker closes (or resets) the connection within `timeout` seconds without answering."""
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            return False
        except (ConnectionResetError, BrokenPipeError):
            return True
        return data == b""


# ---------------------------------------------------------------------------- ApiVersions

API_VERSIONS = 18
PRODUCE = 0


def parse_api_versions_v0(frame):
    r = Reader(frame)
    corr = r.i32()
    err = r.i16()
    n = r.i32()
    keys = {}
    for _ in range(max(n, 0)):
        k, lo, hi = r.i16(), r.i16(), r.i16()
        keys[k] = (lo, hi)
    return corr, err, keys


def parse_api_versions_v3(frame):
    r = Reader(frame)
    corr = r.i32()          # ApiVersions responses always use response header v0
    err = r.i16()
    keys = {}
    for _ in range(r.uvarint() - 1):
        k, lo, hi = r.i16(), r.i16(), r.i16()
        r.tags()
        keys[k] = (lo, hi)
    throttle = r.i32()
    r.tags()
    return corr, err, keys, throttle


def api_versions(port, version=0, timeout=10):
    """Sends ApiVersions on a new connection; returns (error_code, {api_key: (min, max)})."""
    with Conn(port, timeout) as c:
        if version >= 3:
            corr = c.request(API_VERSIONS, version, compact_string("sluice-e2e") + compact_string("1.0") + TAGS_NONE,
                             flexible_header=True)
            rcorr, err, keys, _ = parse_api_versions_v3(c.recv_frame())
        else:
            corr = c.request(API_VERSIONS, version, b"")
            rcorr, err, keys = parse_api_versions_v0(c.recv_frame())
        assert rcorr == corr, f"correlation id {rcorr} != {corr}"
        return err, keys


# ---------------------------------------------------------------------------- Produce

def produce_request(topic, partition, batch, version, acks=-1, timeout_ms=10000):
    if version >= 9:
        return (compact_string(None) + i16(acks) + i32(timeout_ms)
                + uvarint(2) + compact_string(topic)
                + uvarint(2) + i32(partition) + compact_bytes(batch) + TAGS_NONE
                + TAGS_NONE + TAGS_NONE)
    txn = string(None) if version >= 3 else b""
    return (txn + i16(acks) + i32(timeout_ms) + i32(1) + string(topic) + i32(1) + i32(partition)
            + i32(len(batch)) + batch)


def parse_produce_response(frame, version):
    """Returns [(topic, partition, error_code)]."""
    r = Reader(frame)
    r.i32()
    out = []
    if version >= 9:
        r.tags()
        for _ in range(r.uvarint() - 1):
            name = r.compact_string()
            for _ in range(r.uvarint() - 1):
                idx, err = r.i32(), r.i16()
                r.i64(); r.i64(); r.i64()              # base offset, log append time, log start offset
                for _ in range(r.uvarint() - 1):       # record errors
                    r.i32(); r.compact_string(); r.tags()
                r.compact_string()                     # error message
                r.tags()
                out.append((name, idx, err))
            r.tags()
        return out
    for _ in range(r.i32()):
        name = r.string()
        for _ in range(r.i32()):
            idx, err = r.i32(), r.i16()
            r.i64()                                    # base offset
            if version >= 2:
                r.i64()                                # log append time
            if version >= 5:
                r.i64()                                # log start offset
            if version >= 8:
                for _ in range(r.i32()):
                    r.i32(); r.string()
                r.string()
            out.append((name, idx, err))
    return out
