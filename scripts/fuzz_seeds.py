#!/usr/bin/env python3
"""Turns the public test data (if present) into fuzzing seeds: each parser case as it is, and each
traversal payload as the target of a GET. Usage: fuzz_seeds.py TESTDATA_DIR OUT_DIR"""
import base64
import json
import pathlib
import sys

testdata, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
count = 0
cases = testdata / "picohttpparser-request-cases.jsonl"
if cases.exists():
    for n, line in enumerate(cases.read_text().splitlines()):
        if line.strip():
            raw = base64.b64decode(json.loads(line)["raw_b64"])
            (out / f"case-{n}").write_bytes(b"\x00" + raw)  # first byte: read size 1 (see fuzz_http.cpp)
            count += 1
traversal = testdata / "traversal"
if traversal.is_dir():
    for source in sorted(traversal.glob("*.txt")):
        payloads = source.read_bytes().splitlines()
        for n, payload in enumerate(payloads[::50]):  # a sample: the fuzzer mutates the rest
            target = payload if payload.startswith(b"/") else b"/" + payload
            request = b"\xffGET " + target + b" HTTP/1.1\r\nHost: a\r\n\r\n"
            (out / f"{source.stem}-{n}").write_bytes(request)
            count += 1
print(f"fuzz_seeds: {count} seeds from {testdata}" if count else f"fuzz_seeds: no test data in {testdata}; using the committed corpus only")
