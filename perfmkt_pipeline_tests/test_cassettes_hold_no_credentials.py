"""No cassette in the repository may hold a credential (every platform, every *.yaml).

The scanner reads each cassette both as text and as parsed YAML (so `!!binary` bodies, which
vcrpy writes base64-encoded, are decoded and searched too) and reports anything that looks like a
credential: the sandbox's dummy credentials, Meta (EAA...) and Google (ya29., 1//...) tokens,
Bearer values, and access_token / refresh_token / client_secret / appsecret_proof values other
than SCRUBBED.
"""

from __future__ import annotations

import base64
import contextlib
import re
from collections.abc import Iterator
from pathlib import Path

import yaml

from perfmkt_pipeline.sandbox.credentials import SandboxCredentials
from perfmkt_pipeline_tests.recording import CASSETTES, SCRUBBED

_NAMES = r"(?:access_token|refresh_token|client_secret|appsecret_proof|id_token)"
_VALUE = r"([^\s&\"',}\]]*)"
PATTERNS = [
    re.compile(r"EAA[A-Za-z0-9]{20,}"),  # Meta user / system-user access tokens
    re.compile(r"ya29\.[\w.-]+"),  # Google OAuth access tokens
    re.compile(r"(?<![\w/])1//[\w-]{5,}"),  # Google refresh tokens
    re.compile(rf"Bearer\s+(?!{SCRUBBED}\b)[\w.~+/-]+=*"),
]
# name=value (query/form), "name": "value" (JSON), name: value (YAML).
KEY_VALUE = [
    re.compile(rf"\b{_NAMES}={_VALUE}"),
    re.compile(rf"\"{_NAMES}\"\s*:\s*\"([^\"]*)\""),
    re.compile(rf"(?m)^\s*{_NAMES}:[ \t]+{_VALUE}"),
]


def _sandbox_secrets() -> list[str]:
    creds = SandboxCredentials()
    values = [
        creds.google_ads.client_secret,
        creds.google_ads.refresh_token,
        creds.google_ads.developer_token,
        creds.meta.access_token,
        creds.meta.app_secret,
        creds.meta.appsecret_proof(),
        creds.impact.token,
        creds.cj.token,
        creds.awin.token,
    ]
    assert sorted(values) == sorted(creds.secrets())  # every platform's, and no other
    return [v for v in values if v]


def _strings(node) -> Iterator[str]:
    """Every string in parsed YAML; bytes decoded (as text, and base64 bodies as well)."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(key)
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)
    elif isinstance(node, bytes):
        yield node.decode("utf-8", errors="replace")
    elif isinstance(node, str):
        yield node
        if re.fullmatch(r"[A-Za-z0-9+/=\s]{16,}", node):  # possibly a base64 body
            with contextlib.suppress(ValueError):
                yield base64.b64decode(node, validate=False).decode("utf-8", errors="replace")


def find_credentials(path: Path) -> list[str]:
    """Descriptions of everything in the cassette at `path` that looks like a credential."""
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        parsed = yaml.load(
            text, Loader=yaml.CSafeLoader if hasattr(yaml, "CSafeLoader") else yaml.SafeLoader
        )
    except yaml.YAMLError as error:
        return [f"{path}: not YAML ({error})"]
    found: list[str] = []
    for chunk in [text, *_strings(parsed)]:
        for secret in _sandbox_secrets():
            if secret in chunk:
                found.append(f"{path.name}: a sandbox credential ({secret[:6]}...)")
        for pattern in PATTERNS:
            found += [f"{path.name}: {m.group(0)[:12]}..." for m in pattern.finditer(chunk)]
        for pattern in KEY_VALUE:
            for match in pattern.finditer(chunk):
                if match.group(1) not in ("", SCRUBBED):
                    found.append(f"{path.name}: {match.group(0)[:32]}...")
    return sorted(set(found))


def cassettes(root: Path = CASSETTES) -> list[Path]:
    return sorted(root.rglob("*.yaml")) + sorted(root.rglob("*.yml"))


def test_no_cassette_in_the_repository_holds_a_credential() -> None:
    paths = cassettes()
    assert paths, f"no cassettes under {CASSETTES}"

    found = [item for path in paths for item in find_credentials(path)]

    assert found == []


_CLEAN = """interactions:
- request:
    body: grant_type=refresh_token&client_id=SCRUBBED&refresh_token=SCRUBBED
    headers:
      Authorization:
      - SCRUBBED
    method: GET
    uri: http://127.0.0.1:1/v26.0/act_1/insights?access_token=SCRUBBED&appsecret_proof=SCRUBBED&limit=5
  response:
    body:
      string: '{"access_token": "SCRUBBED", "data": []}'
    status: {code: 200, message: OK}
version: 1
"""


def test_the_scanner_catches_a_planted_token_wherever_it_hides(tmp_path: Path) -> None:
    # Built at run time so no file of the repository holds a token-shaped literal.
    planted = "EAA" + "plantedMetaToken0123456789abcdef"
    variants = {
        "query": _CLEAN.replace("access_token=SCRUBBED", f"access_token={planted}"),
        "proof": _CLEAN.replace("appsecret_proof=SCRUBBED", "appsecret_proof=3f2a9c"),
        "json": _CLEAN.replace('"access_token": "SCRUBBED"', '"access_token": "abc123"'),
        "bearer": _CLEAN.replace("- SCRUBBED", "- Bearer ya29.a0AfH6SMBplanted"),
        "refresh": _CLEAN.replace("refresh_token=SCRUBBED", "refresh_token=1//0gPlanted-token"),
        "sandbox": _CLEAN.replace("data", SandboxCredentials().cj.token),
        "binary": _CLEAN.replace(
            'string: \'{"access_token": "SCRUBBED", "data": []}\'',
            "string: !!binary |\n        "
            + base64.b64encode(f'{{"token": "{planted}"}}'.encode()).decode(),
        ),
    }
    (tmp_path / "clean.yaml").write_text(_CLEAN)
    for name, text in variants.items():
        (tmp_path / "nested" / name).mkdir(parents=True)
        (tmp_path / "nested" / name / f"{name}.yaml").write_text(text)

    found = {path.stem: find_credentials(path) for path in cassettes(tmp_path)}

    assert found.pop("clean") == []
    assert sorted(found) == sorted(variants)
    assert all(found.values()), {name: items for name, items in found.items() if not items}
