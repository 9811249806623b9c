"""tests/helpers/fcgi_raw.py — raw FastCGI 1.0 for the tests that talk to bimi-fcgi's socket
directly (fastcgi-spec §3.3 records, §3.4 name-value pairs, §5 the responder role).
Imported by tests/fcgi-service.t and tests/fcgi-slow-clients.t."""
import struct

BEGIN, END, PARAMS, STDIN, STDOUT = 1, 3, 4, 5, 6


def record(rtype, content, rid=1):
    return struct.pack(">BBHHBB", 1, rtype, rid, len(content), 0, 0) + content


def nv(name, value):
    def ln(x):
        return bytes([len(x)]) if len(x) < 128 else struct.pack(">I", len(x) | 0x80000000)
    return ln(name) + ln(value) + name + value


def fcgi_read(s):
    """Reads records up to FCGI_END_REQUEST; returns the FCGI_STDOUT bytes, or None on EOF first."""
    out, buf = b"", b""
    while True:
        while len(buf) < 8:
            chunk = s.recv(65536)
            if not chunk:
                return None
            buf += chunk
        _, rtype, _, clen, plen, _ = struct.unpack(">BBHHBB", buf[:8])
        while len(buf) < 8 + clen + plen:
            chunk = s.recv(65536)
            if not chunk:
                return None
            buf += chunk
        content, buf = buf[8:8 + clen], buf[8 + clen + plen:]
        if rtype == STDOUT:
            out += content
        if rtype == END:
            return out
