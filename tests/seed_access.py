"""The seed's access loop written out once over the canonical content of message rows: the value
every strategy's access kernel must return for the same rows (the kernels add in this order)."""

from harness.strategies.equivalence import canonical_info, canonical_part


def expected_access(messages, iterations):
    """200×7-style loop over ``messages`` (stored rows): len(role), then cost when present, then
    one for each of summary, finish, error, variant, structured that is set and truthy."""
    infos = [canonical_info(row) for row in messages]
    acc = 0.0
    for _ in range(iterations):
        for info in infos:
            acc += len(info["role"])
            if info.get("cost") is not None:
                acc += info["cost"]
            for key in ("summary", "finish", "error", "variant", "structured"):
                if info.get(key):
                    acc += 1
    return acc


def expected_open_map(parts, iterations):
    """The open-map loop over stored part rows: the number of keys of every tool part's
    ``state.input``, summed, ``iterations`` times (the kernels add in this order; an older writer's
    pending state has no input)."""
    acc = 0.0
    tools = [part["state"] for part in map(canonical_part, parts) if part["type"] == "tool"]
    sizes = [len(state["input"]) for state in tools if "input" in state]
    for _ in range(iterations):
        for size in sizes:
            acc += size
    return acc
