"""Malformed and hostile input on raw sockets. After each case the broker must still be up and answer ApiVersions."""
import random
import socket
import struct
import time

import pytest

import kwire
from kwire import Conn, api_versions, i16, i32

UNSUPPORTED_VERSION = 35
INVALID_TOPIC_EXCEPTION = 17


def assert_healthy(broker):
    assert broker.alive(), f"broker process exited with status {broker.proc.returncode}\n{broker.log_tail()}"
    err, keys = api_versions(broker.port, 0)
    assert err == 0 and kwire.API_VERSIONS in keys, (err, keys)
    err, keys = api_versions(broker.port, 3)
    assert err == 0 and keys[kwire.API_VERSIONS][1] >= 3, (err, keys)


def test_api_versions_baseline(broker):
    err, keys = api_versions(broker.port, 0)
    assert err == 0
    for api in (0, 1, 2, 3, 8, 9, 10, 11, 12, 13, 14, 18, 19):
        assert api in keys, f"api key {api} not advertised: {sorted(keys)}"
    err3, keys3 = api_versions(broker.port, 3)
    assert err3 == 0 and keys3 == keys


def test_frame_larger_than_socket_request_max_bytes(broker):
    # Default socket.request.max.bytes is 104857600; announce one byte more and send a little of it.
    with Conn(broker.port) as c:
        c.send_raw(i32(104857601) + b"\x00\x12\x00\x00" + b"\x00" * 64)
        assert c.closed_by_peer(15), "broker kept a connection whose frame exceeds socket.request.max.bytes"
    with Conn(broker.port) as c:
        c.send_raw(i32(0x7FFFFFFF))
        assert c.closed_by_peer(15), "broker kept a connection announcing a 2 GiB frame"
    with Conn(broker.port) as c:
        c.send_raw(i32(-5))
        assert c.closed_by_peer(15), "broker kept a connection announcing a negative frame length"
    assert_healthy(broker)


@pytest.mark.broker_overrides({"socket.request.max.bytes": "65536"})
def test_frame_larger_than_configured_socket_request_max_bytes(broker):
    with Conn(broker.port) as c:
        c.send_raw(i32(65537) + b"\x00" * 1024)
        assert c.closed_by_peer(15), "broker kept a connection whose frame exceeds socket.request.max.bytes=65536"
    # Ordinary requests are still served.
    err, keys = api_versions(broker.port, 0)
    assert err == 0
    assert_healthy(broker)


def test_garbage_bytes(broker):
    # An HTTP request: its first four bytes read as a ~1.2 GB frame length.
    with Conn(broker.port) as c:
        c.send_raw(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        assert c.closed_by_peer(15), "broker kept an HTTP connection open"
    # A well-sized frame whose header and body are nonsense (Metadata v12 with a broken tagged-field varint).
    with Conn(broker.port) as c:
        c.send_frame(i16(3) + i16(12) + i32(7) + i16(-1) + b"\xff" * 12)
        assert c.closed_by_peer(15), "broker answered or kept a connection after an undecodable request"
    # Random bytes in several frames.
    rnd = bytes((i * 131 + 17) % 256 for i in range(300))
    with Conn(broker.port) as c:
        try:
            for k in range(0, 300, 60):
                c.send_frame(rnd[k:k + 60])
        except OSError:
            pass  # already closed by the broker: fine
        c.closed_by_peer(10)
    assert_healthy(broker)


def test_truncated_frame(broker):
    # Announce 100 bytes, send the start of an ApiVersions request, and stall: the broker must not answer it, and
    # must keep serving other connections meanwhile.
    stalled = Conn(broker.port)
    try:
        stalled.send_raw(i32(100) + i16(18) + i16(0) + i32(1) + b"\x00\x03ab")
        stalled.sock.settimeout(1)
        try:
            data = stalled.sock.recv(4096)
        except socket.timeout:
            data = b""
        except ConnectionError:
            data = b""
        assert data == b"", f"broker answered an incomplete frame: {data!r}"
        assert_healthy(broker)
    finally:
        stalled.close()
    # Half a frame, then close.
    with Conn(broker.port) as c:
        c.send_raw(i32(50) + b"\x00\x12\x00")
    # A frame too short to hold a request header.
    with Conn(broker.port) as c:
        c.send_frame(b"\x00\x12")
        assert c.closed_by_peer(15), "broker kept a connection after a frame shorter than a request header"
    assert_healthy(broker)


def test_unknown_api_key(broker):
    with Conn(broker.port) as c:
        c.send_frame(i16(9999) + i16(0) + i32(42) + kwire.string("sluice-e2e") + b"\x00" * 8)
        assert c.closed_by_peer(15), "broker kept a connection after a request with an unknown api key"
    with Conn(broker.port) as c:
        c.send_frame(i16(-1) + i16(0) + i32(43) + kwire.string("sluice-e2e"))
        assert c.closed_by_peer(15), "broker kept a connection after a request with api key -1"
    assert_healthy(broker)


def test_api_versions_unsupported_version_gets_v0_error_response(broker):
    with Conn(broker.port) as c:
        corr = c.request(kwire.API_VERSIONS, 127,
                         kwire.compact_string("sluice-e2e") + kwire.compact_string("1.0") + kwire.TAGS_NONE,
                         flexible_header=True)
        frame = c.recv_frame()
    rcorr, err, keys = kwire.parse_api_versions_v0(frame)
    assert rcorr == corr
    assert err == UNSUPPORTED_VERSION, f"error_code {err}, expected 35 UNSUPPORTED_VERSION"
    # Like Apache Kafka (KIP-511), the list must at least carry ApiVersions' own range so the client can retry.
    assert kwire.API_VERSIONS in keys, f"the error response must list the api keys, got {keys}"
    assert keys[kwire.API_VERSIONS][0] == 0 and keys[kwire.API_VERSIONS][1] >= 3, keys
    assert len(frame) == 4 + 2 + 4 + 6 * len(keys), "the response must be exactly a v0 ApiVersions body"
    assert_healthy(broker)


def test_produce_with_invalid_topic_name(broker):
    err, keys = api_versions(broker.port, 0)
    lo, hi = keys[kwire.PRODUCE]
    versions = [v for v in (9, 7, 3) if lo <= v <= hi and v <= 12]
    assert versions, f"no Produce version this test can encode in {lo}..{hi}"
    for bad in ("bad topic!", "a/b", "..", "x" * 250):
        for v in versions:
            batch = kwire.record_batch([b"hello"])
            with Conn(broker.port, timeout=30) as c:
                corr = c.request(kwire.PRODUCE, v, kwire.produce_request(bad, 0, batch, v), flexible_header=v >= 9)
                frame = c.recv_frame()
            assert struct.unpack(">i", frame[:4])[0] == corr
            res = kwire.parse_produce_response(frame, v)
            assert res == [(bad, 0, INVALID_TOPIC_EXCEPTION)], f"Produce v{v} to {bad!r}: {res}"
    assert_healthy(broker)
    # And the invalid names were not created as topics.
    from helpers import Admin
    names = Admin(broker.bootstrap).list_topics()
    assert not {"bad topic!", "a/b", ".."} & set(names), names


def test_many_bad_connections_in_a_row(broker):
    rnd = random.Random(20261121)
    for i in range(50):
        with Conn(broker.port) as c:
            kind = i % 4
            if kind == 0:
                c.send_raw(rnd.randbytes(i + 1))
            elif kind == 1:
                c.send_raw(i32(104857601 + i))
            elif kind == 2:
                c.send_frame(i16(9000 + i) + i16(0) + i32(i))
            else:
                c.send_raw(i32(20))
    time.sleep(0.5)
    assert_healthy(broker)
