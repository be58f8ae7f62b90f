#!/usr/bin/env python3
"""Takes a dated snapshot of LiteLLM's model price map for the built-in price table.

Usage:
  scripts/snapshot-prices.py --from-pypi VERSION [--date YYYY-MM-DD]
  scripts/snapshot-prices.py PATH [--date YYYY-MM-DD]     PATH: a litellm wheel (.whl) or the map itself (.json)

--from-pypi runs `pip download --no-deps litellm==VERSION` into a temporary directory and reads
litellm/model_prices_and_context_window_backup.json out of the wheel (the copy of
model_prices_and_context_window.json that LiteLLM ships, and reads when it is offline).

Writes Tests/Fixtures/pricing/litellm-snapshot-DATE.json (DATE: today, UTC, unless --date): an
extract of the map, entries copied verbatim (every field, numbers written back as the map writes
them, key order kept), holding only the entries the built-in table takes (the rules of
scripts/gen-prices.py and `governance cost models --import`: mode chat, completion or responses,
with input_cost_per_token and output_cost_per_token) whose litellm_provider is one of PROVIDERS.
Where the snapshot came from goes beside it, in litellm-snapshot-DATE.source (JSON), which
gen-prices.py reads for the table's source line and nothing else reads. Then run
scripts/gen-prices.py.
"""
import argparse
import datetime
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import zipfile
from decimal import Decimal

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, "Tests/Fixtures/pricing")
MEMBER = "litellm/model_prices_and_context_window_backup.json"
MODES = {"chat", "completion", "responses"}
# The vendors' own APIs, as LiteLLM names them (Google's Gemini API is "gemini", Vertex AI's
# Gemini models "vertex_ai-language-models"). Clouds reselling them (Bedrock, Azure, Vertex AI's
# partner models) and other hosts are left to `cost models --import` of the full map.
PROVIDERS = ["openai", "anthropic", "gemini", "vertex_ai-language-models", "mistral", "xai", "deepseek"]
MAX_MODEL_BYTES = 128   # AuditEventInput.maxModelLength: the importer skips longer names


class Number(Decimal):
    """A JSON number, exact, that remembers how the map wrote it."""

    def __new__(cls, text):
        number = super().__new__(cls, text)
        number.text = text
        return number


def load(raw, where):
    try:
        return json.loads(raw, parse_float=Number, parse_int=Number)
    except (ValueError, UnicodeDecodeError) as e:
        sys.exit(f"{where}: not JSON: {e}")


def dump(value, indent=0):
    """JSON as LiteLLM writes it (four-space indent), numbers in their original text."""
    pad, inner = " " * indent, " " * (indent + 4)
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [inner + json.dumps(k, ensure_ascii=False) + ": " + dump(v, indent + 4) for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(value, list):
        if not value:
            return "[]"
        return "[\n" + ",\n".join(inner + dump(v, indent + 4) for v in value) + "\n" + pad + "]"
    if isinstance(value, Number):
        return value.text
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    raise TypeError(f"unexpected JSON value {value!r}")


def kept(model, entry):
    return (isinstance(entry, dict) and model != "sample_spec"
            and entry.get("litellm_provider") in PROVIDERS and entry.get("mode") in MODES
            and "input_cost_per_token" in entry and "output_cost_per_token" in entry
            and 0 < len(model.encode("utf-8")) <= MAX_MODEL_BYTES
            and not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in model))


def from_wheel(wheel):
    name = os.path.basename(wheel)
    match = re.match(r"litellm-([^-]+)-", name)
    if not match:
        sys.exit(f"{wheel}: not a litellm wheel (litellm-VERSION-....whl)")
    with zipfile.ZipFile(wheel) as z:
        try:
            raw = z.read(MEMBER)
        except KeyError:
            sys.exit(f"{wheel}: holds no {MEMBER}")
    with open(wheel, "rb") as f:
        wheel_sha256 = hashlib.sha256(f.read()).hexdigest()
    return raw, {"litellm_version": match.group(1), "wheel": name, "wheel_sha256": wheel_sha256, "file": MEMBER}


def from_pypi(version):
    if not re.fullmatch(r"[0-9][0-9A-Za-z.+!-]*", version):
        sys.exit(f"{version!r} is not a version")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:", "--dest", tmp,
                        f"litellm=={version}"], check=True, stdout=sys.stderr)
        wheels = [f for f in os.listdir(tmp) if f.startswith(f"litellm-{version}-") and f.endswith(".whl")]
        if len(wheels) != 1:
            sys.exit(f"pip download left {sorted(os.listdir(tmp))}, not one litellm {version} wheel")
        raw, provenance = from_wheel(os.path.join(tmp, wheels[0]))
    provenance["from"] = "PyPI"
    return raw, provenance


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", nargs="?", help="a litellm wheel, or model_prices_and_context_window.json")
    parser.add_argument("--from-pypi", metavar="VERSION", help="download this litellm version from PyPI")
    parser.add_argument("--date", help="the snapshot's date, YYYY-MM-DD (default: today, UTC)")
    args = parser.parse_args()
    if (args.path is None) == (args.from_pypi is None):
        parser.error("give either PATH or --from-pypi VERSION")
    date = args.date or datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
    try:
        datetime.date.fromisoformat(date)
    except ValueError:
        parser.error(f"--date {date!r} is not YYYY-MM-DD")
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
        parser.error(f"--date {date!r} is not YYYY-MM-DD")

    if args.from_pypi:
        raw, provenance = from_pypi(args.from_pypi)
    elif args.path.endswith(".whl"):
        raw, provenance = from_wheel(args.path)
    else:
        with open(args.path, "rb") as f:
            raw = f.read()
        provenance = {"file": os.path.basename(args.path)}
    provenance["file_sha256"] = hashlib.sha256(raw).hexdigest()
    data = load(raw, provenance["file"])
    if not isinstance(data, dict):
        sys.exit(f"{provenance['file']}: not a JSON object of model names to entries")

    extract = {model: entry for model, entry in data.items() if kept(model, entry)}
    if not extract:
        sys.exit(f"{provenance['file']}: no entry of {', '.join(PROVIDERS)} has a chat price")
    counts = {p: sum(1 for e in extract.values() if e["litellm_provider"] == p) for p in PROVIDERS}
    text = dump(extract) + "\n"
    # What is written reads back to the very entries taken, number texts included.
    reread = load(text.encode("utf-8"), "the snapshot")
    if reread != extract or dump(reread) + "\n" != text:
        sys.exit("internal error: the snapshot does not read back to the map's entries")

    version = provenance.get("litellm_version")
    where = f"LiteLLM {version} ({provenance.get('from', 'wheel ' + provenance['wheel'])}) {os.path.basename(MEMBER)}" if version \
        else f"LiteLLM map {provenance['file']}"
    provenance = {
        "source": f"{where}, extract of first-party providers",
        **provenance,
        "extracted": date,
        "entries_in_map": len(data),
        "entries_kept": len(extract),
        "providers": counts,
        "rule": "litellm_provider in providers, mode chat, completion or responses, with input_cost_per_token and "
                "output_cost_per_token; entries verbatim (scripts/snapshot-prices.py)",
    }
    os.makedirs(OUT_DIR, exist_ok=True)
    base = os.path.join(OUT_DIR, f"litellm-snapshot-{date}")
    with open(base + ".json", "w", encoding="utf-8") as f:
        f.write(text)
    with open(base + ".source", "w", encoding="utf-8") as f:
        f.write(json.dumps(provenance, indent=4, ensure_ascii=False) + "\n")
    print(f"wrote {len(extract)} of {len(data)} entries to {os.path.relpath(base, ROOT)}.json ({len(text.encode('utf-8'))} bytes) "
          f"and its .source; now run scripts/gen-prices.py", file=sys.stderr)


if __name__ == "__main__":
    main()
