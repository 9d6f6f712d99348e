"""Every environment variable the code reads is in README's configuration table and in
.env.example, so an operator can find each one (issue A: "the configuration table (every env
var)")."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# How the code reads a variable: settings' helpers (_env/_int/_flag) or os.environ directly.
READS = re.compile(
    r"""(?:_env|_int|_flag|environ\.get|getenv)\(\s*["']((?:LISTBRIDGE|MAILCHIMP|DATABASE|REDIS|SANDBOX)_?[A-Z_]*)["']"""
)


def _variables_read() -> set[str]:
    found: set[str] = set()
    for path in (ROOT / "app").rglob("*.py"):
        found |= set(READS.findall(path.read_text(encoding="utf-8")))
    return found


def test_the_code_reads_the_variables_we_expect_to_find():
    # Guards the pattern itself: if it stopped matching, the checks below would pass vacuously.
    assert {"DATABASE_URL", "REDIS_URL", "LISTBRIDGE_PORT", "SANDBOX_PORT"} <= _variables_read()


def test_every_variable_is_in_the_readme_table_and_the_example_file():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("## Configuration") : readme.index("## Production deployment")]
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    missing_table = sorted(v for v in _variables_read() if f"`{v}`" not in table)
    missing_example = sorted(v for v in _variables_read() if f"\n{v}=" not in example)
    assert missing_table == []
    assert missing_example == []
