"""`python -m app.mailchimp.sandbox`: the sandbox on http://127.0.0.1:8025 (loopback only).

`SANDBOX_PORT` changes the port; `SANDBOX_SEED` names a JSON seed file (e.g. this package's
`demo_seed.json`). Then: `curl -u anystring:<key> http://127.0.0.1:8025/3.0/lists`.
"""

from __future__ import annotations

import os

import uvicorn

from app.mailchimp.sandbox.app import create_sandbox_app


def main() -> None:
    port = int(os.environ.get("SANDBOX_PORT", "8025"))
    app = create_sandbox_app(seed=os.environ.get("SANDBOX_SEED") or None)
    print(
        f"Mailchimp sandbox: API http://127.0.0.1:{port}/3.0 · control http://127.0.0.1:{port}/_sandbox/"
    )
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="info")


if __name__ == "__main__":
    main()
