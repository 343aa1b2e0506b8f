"""The Jinja2 environment of the report pages: the package's templates, autoescaped, with filters."""

from __future__ import annotations

import functools
from pathlib import Path

import jinja2
from markupsafe import Markup

from fov_monitor.report import weighing, wording

TEMPLATES = Path(__file__).parent / "templates"


@functools.cache
def environment() -> jinja2.Environment:
    """Return the environment (built once): HTML autoescaped, undefined names an error."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        percent=wording.percent,
        hours=wording.hours,
        day_time=wording.day_time,
        date_in_words=wording.date_in_words,
        hours_in_words=wording.hours_in_words,
        css_string=css_string,
        markdown=weighing.markdown,
    )
    return env


def css_string(text: str) -> Markup:
    """Return ``text`` as a quoted CSS string, safe inside ``<style>`` (no quote, backslash or ``<`` left)."""
    escaped = "".join(ch if ch.isalnum() or ch in " .,:;!?()-_/'+&@" else f"\\{ord(ch):x} " for ch in text)
    return Markup(f'"{escaped}"')


def render(template: str, **context: object) -> str:
    """Render one template of the package."""
    return environment().get_template(template).render(**context)
