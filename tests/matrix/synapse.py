"""A real Synapse homeserver on 127.0.0.1 for the Matrix tests, from the separate venv `make synapse` builds.

The homeserver gets a generated homeserver.yaml: SQLite, no federation listener, no stats, registration only
through the shared-secret admin API, and a message rate limit low enough for one test to meet it (the other
test users have it overridden through the admin API).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from ..support import free_port

ROOT = Path(__file__).resolve().parents[2]
SYNAPSE_PYTHON = ROOT / ".venv-synapse" / "bin" / "python"
SERVER_NAME = "localhost"
START_TIMEOUT = 90.0


def _config(directory: Path, port: int, shared_secret: str) -> str:
    return f"""
server_name: "{SERVER_NAME}"
pid_file: "{directory}/homeserver.pid"
listeners:
  - port: {port}
    bind_addresses: ["127.0.0.1"]
    type: http
    tls: false
    x_forwarded: false
    resources:
      - names: [client]
        compress: false
database:
  name: sqlite3
  args:
    database: "{directory}/homeserver.db"
log_config: "{directory}/log.yaml"
media_store_path: "{directory}/media"
signing_key_path: "{directory}/signing.key"
registration_shared_secret: "{shared_secret}"
macaroon_secret_key: "{secrets.token_hex(16)}"
form_secret: "{secrets.token_hex(16)}"
enable_registration: false
report_stats: false
bcrypt_rounds: 4
trusted_key_servers: []
suppress_key_server_warning: true
federation_domain_whitelist: []
user_directory:
  enabled: true
  search_all_users: true
presence:
  enabled: false
rc_message:
  per_second: 0.2
  burst_count: 3
rc_registration:
  per_second: 1000
  burst_count: 1000
rc_login:
  address: {{per_second: 1000, burst_count: 1000}}
  account: {{per_second: 1000, burst_count: 1000}}
  failed_attempts: {{per_second: 1000, burst_count: 1000}}
rc_joins:
  local: {{per_second: 1000, burst_count: 1000}}
  remote: {{per_second: 1000, burst_count: 1000}}
rc_invites:
  per_room: {{per_second: 1000, burst_count: 1000}}
  per_user: {{per_second: 1000, burst_count: 1000}}
  per_issuer: {{per_second: 1000, burst_count: 1000}}
rc_room_creation:
  per_second: 1000
  burst_count: 1000
"""


LOG_CONFIG = """
version: 1
formatters:
  precise:
    format: "%(asctime)s %(name)s %(levelname)s %(message)s"
handlers:
  file:
    class: logging.FileHandler
    formatter: precise
    filename: "{directory}/homeserver.log"
root:
  level: WARNING
  handlers: [file]
disable_existing_loggers: false
"""


@dataclass
class Account:
    user_id: str
    access_token: str


@dataclass
class Synapse:
    directory: Path
    port: int = field(default_factory=free_port)
    shared_secret: str = field(default_factory=lambda: secrets.token_hex(16))
    process: subprocess.Popen[bytes] | None = None
    started_in: float = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        (self.directory / "media").mkdir(exist_ok=True)
        seed = base64.b64encode(os.urandom(32)).decode().rstrip("=")
        (self.directory / "signing.key").write_text(f"ed25519 a_test {seed}\n")
        (self.directory / "log.yaml").write_text(LOG_CONFIG.format(directory=self.directory))
        config = self.directory / "homeserver.yaml"
        config.write_text(_config(self.directory, self.port, self.shared_secret))
        began = time.monotonic()
        self.process = subprocess.Popen(
            [str(SYNAPSE_PYTHON), "-m", "synapse.app.homeserver", "--config-path", str(config)],
            cwd=self.directory, stdout=(self.directory / "stdout.log").open("wb"), stderr=subprocess.STDOUT)
        while time.monotonic() - began < START_TIMEOUT:
            if self.process.poll() is not None:
                raise RuntimeError(f"Synapse exited with {self.process.returncode}: "
                                   f"{(self.directory / 'stdout.log').read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/_matrix/client/versions", timeout=2).status_code == 200:
                    self.started_in = time.monotonic() - began
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"Synapse did not answer within {START_TIMEOUT:.0f} s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def register(self, localpart: str, *, admin: bool = False, unlimited: bool = True) -> Account:
        """A user made through the shared-secret registration API; ``unlimited`` lifts its message limit."""
        endpoint = f"{self.url}/_synapse/admin/v1/register"
        nonce = httpx.get(endpoint, timeout=10).json()["nonce"]
        password = secrets.token_hex(8)
        mac = hmac.new(self.shared_secret.encode(), digestmod=hashlib.sha1)
        mac.update(b"\x00".join([nonce.encode(), localpart.encode(), password.encode(),
                                 b"admin" if admin else b"notadmin"]))
        answer = httpx.post(endpoint, timeout=30, json={"nonce": nonce, "username": localpart,
                                                        "password": password, "admin": admin,
                                                        "mac": mac.hexdigest()})
        answer.raise_for_status()
        account = Account(answer.json()["user_id"], answer.json()["access_token"])
        if unlimited:
            self.admin_call("POST", f"/_synapse/admin/v1/users/{account.user_id}/override_ratelimit",
                            {"messages_per_second": 0, "burst_count": 0})
        return account

    _admin: Account | None = None

    def admin_account(self) -> Account:
        if self._admin is None:
            self._admin = self.register("synapse-admin", admin=True, unlimited=False)
        return self._admin

    def admin_call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        answer = httpx.request(method, f"{self.url}{path}", json=body, timeout=30,
                               headers={"Authorization": f"Bearer {self.admin_account().access_token}"})
        answer.raise_for_status()
        result: dict[str, Any] = answer.json()
        return result
