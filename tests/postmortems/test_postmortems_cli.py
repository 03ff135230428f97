"""`warroom incident postmortem` against a real server: generate, publish, export."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pypdf

from warroom.core.clock import FakeClock
from warroom.runtime import Runtime

from ..cli.conftest import cli, remote, server  # noqa: F401  (fixtures)
from ..factories import Factory
from .conftest import tell_story


def test_postmortem_from_the_cli(remote: Any, cli: Any, factory: Factory, runtime: Runtime,  # noqa: F811
                                 clock: FakeClock, tmp_path: Path) -> None:
    bob = factory.user("bob")
    carol = factory.user("carol")
    story = tell_story(factory, runtime, clock, bob, carol)
    as_bob = remote.as_(factory.token(bob))
    as_bob.fails("incident", "postmortem", story.ref, says="no postmortem yet")
    out = as_bob.ok("incident", "postmortem", story.ref, "--generate")
    assert f"{story.ref}: Search is down · draft" in out and "## Timeline" in out
    as_bob.fails("incident", "postmortem", story.ref, "--generate", says="already has a postmortem")

    published = as_bob.json("incident", "postmortem", story.ref, "--publish")
    assert published["state"] == "published" and published["published_by"] == "bob"
    assert (Path(published["published_to"]) / "postmortem.pdf").is_file()

    target = tmp_path / "pm.pdf"
    said = as_bob.ok("incident", "postmortem", story.ref, "--export", "pdf", "-o", str(target))
    assert f"Wrote {target}" in said
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(target.read_bytes())).pages)
    assert f"Postmortem {story.ref}: Search is down" in text and "Index shard 3 is full" in text
    markdown = as_bob.ok("incident", "postmortem", story.ref, "--export", "md", "-o", "-")
    assert markdown.startswith(f"# Postmortem {story.ref}")
    as_bob.fails("incident", "postmortem", story.ref, "--export", "docx", "-o", "x", says="md, html or pdf")
    as_bob.fails("incident", "postmortem", story.ref, "--export", "pdf", says="-o")
    as_bob.fails("incident", "postmortem", "INC-77", says="No incident INC-77")
