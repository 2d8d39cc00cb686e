"""Where the DDS prospecting system is installed ($DDS_HOME), and whether it is whole.

There is no default location: the spec's path is its author's machine. Unset, the DDS system
is simply not connected and analytics work on their own; set, it must point at a folder
holding the four agents' entry points, or deploying refuses with setup instructions.
"""

from __future__ import annotations

from pathlib import Path

#: The agents' entry points, relative to DDS_HOME: prospecting, scoring, outreach, and the
#: campaign manager that runs them.
ENTRY_POINTS = (
    "src/main.py",
    "src/lead_scorer.py",
    "src/outreach_agent.py",
    "src/campaign_manager.py",
)

#: The spec's four DDS agents and the file each one runs from (the research agent's is the
#: website analyzer, the spec's "src/website_analyzer.py, etc."), as the original
#: integration's `dds_integration` names them.
AGENTS = {
    "prospecting_agent": "src/main.py",
    "scoring_agent": "src/lead_scorer.py",
    "research_agent": "src/website_analyzer.py",
    "outreach_agent": "src/outreach_agent.py",
}
READY = "Ready"
MISSING = "Missing"
NOT_CONNECTED = "Not connected"

SETUP_INSTRUCTIONS = (
    "1. Find the folder where the DDS prospecting system is installed: it holds "
    f"{', '.join(ENTRY_POINTS)} (and campaigns.db and ops.db once it has run).\n"
    "2. Point DDS_HOME at it, e.g. `export DDS_HOME=/path/to/prospecting_agent` (or "
    "os.environ['DDS_HOME'] = ... in the running process: it is read each time it is used).\n"
    "3. Or unset DDS_HOME to deploy and track campaigns without the DDS system."
)


def problem(home: Path) -> str | None:
    """Why the DDS system at ``home`` cannot be used, or None if its entry points are there."""
    try:
        if not home.is_dir():
            return f"DDS_HOME ({home}) is not an existing folder."
        missing = [entry for entry in ENTRY_POINTS if not (home / entry).is_file()]
    except OSError as exc:  # e.g. a folder we may not enter
        return f"DDS_HOME ({home}) cannot be read: {exc}."
    if missing:
        return f"DDS_HOME ({home}) lacks the DDS agents' entry point(s): {', '.join(missing)}."
    return None


def available(home: Path | None) -> bool:
    """True when DDS_HOME is set and holds the agents' entry points."""
    return home is not None and problem(home) is None


def agents_readiness(home: Path | None) -> dict[str, str]:
    """Each of the four agents: Ready (its file is in DDS_HOME), Missing, or Not connected
    (DDS_HOME unset or unreadable: campaigns are tracked without the DDS system)."""
    if home is None:
        return dict.fromkeys(AGENTS, NOT_CONNECTED)
    try:
        return {
            agent: READY if (home / path).is_file() else MISSING for agent, path in AGENTS.items()
        }
    except OSError:  # a folder we may not enter: we are not connected to it
        return dict.fromkeys(AGENTS, NOT_CONNECTED)
