"""``ordinance lint`` on a synthetic law: ``python benchmarks/bench_lint.py [RULES] [FACTS]``.

Writes one law of RULES rules (default 300; every tenth an exception to an earlier rule)
over FACTS five-valued facts (default 20) into a scratch directory, each condition two or
three comparisons drawn with a fixed seed, and times the whole ``ordinance lint`` command
in a fresh process (issue 19: the review's "> 600 s"). Prints the time and lint's
"analysis:" line, shortened. Run on demand.
"""

from __future__ import annotations

import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ORDINANCE = Path(sys.executable).with_name("ordinance")


def write_law(target: Path, rules: int = 300, facts: int = 20, values: int = 5,
              categories: int = 2, seed: int = 19) -> None:
    """Write ``vocabulary.ord`` and ``law.ord`` (one law) of the synthetic law into
    ``target``: rules alternate prohibit and permit; every tenth is an exception to an
    earlier rule; each condition joins two or three comparisons of distinct facts."""
    pick = random.Random(seed)
    names = [f"v{j}" for j in range(values)]
    kinds = [f"c{j}" for j in range(categories)]
    vocabulary = [
        'fact holder.kind: one of police, sheriff question "Holder kind?" required',
        'fact holder.state: text question "State?" required',
        'fact data: set of categories question "Data?" required',
        *(f'fact f{i}: one of {", ".join(names)} question "F{i}?"' for i in range(facts)),
        *(f'category {c} label "{c}"' for c in kinds),
    ]
    (target / "vocabulary.ord").write_text("\n".join(vocabulary) + "\n")
    law = ["law syn.act {", '  title "Synthetic Act"', '  version "test"',
           '  jurisdiction state "IL"', "  binds police, sheriff",
           "  in_force from 2020-01-01", "}"]
    law += [f'section "S § {i}" "Section {i}."' for i in range(rules)]
    for i in range(rules):
        atoms = []
        for fact in pick.sample(range(facts), pick.choice((2, 3))):
            shape = pick.randrange(3)
            if shape == 0:
                atoms.append(f"f{fact} = {pick.choice(names)}")
            elif shape == 1:
                atoms.append(f"f{fact} != {pick.choice(names)}")
            else:
                atoms.append(f"f{fact} in {{{', '.join(sorted(pick.sample(names, 2)))}}}")
        when = f" {pick.choice(('and', 'or'))} ".join(atoms)
        effect = "permit" if i % 2 else "prohibit"
        if i % 10 == 9:
            law.append(f"exception r{i} to r{pick.randrange(i - 1)} {{ {effect} "
                       f'when {when} cite "S § {i}" }}')
        else:
            law.append(f"rule r{i} {{ {effect} {pick.choice(kinds)} when {when} "
                       f'cite "S § {i}" }}')
    (target / "law.ord").write_text("\n".join(law) + "\n")


def main() -> None:
    """Write the law, run lint once and print its time."""
    rules = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    facts = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    with tempfile.TemporaryDirectory() as tmp:
        write_law(Path(tmp), rules, facts)
        start = time.perf_counter()
        run = subprocess.run([str(ORDINANCE), "lint", tmp], capture_output=True, text=True,
                             check=False)
        seconds = time.perf_counter() - start
    summary = next((line for line in run.stdout.splitlines() if line.startswith("analysis:")),
                   "")
    print(f"{rules} rules x {facts} five-valued facts: lint {seconds:.1f} s, exit "
          f"{run.returncode}, {run.stdout.splitlines()[-1] if run.stdout else run.stderr}")
    print(summary[:600] + (" ..." if len(summary) > 600 else ""))


if __name__ == "__main__":
    main()
