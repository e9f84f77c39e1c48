"""Fail when a Linux wheel's extensions need symbol versions newer than a manylinux policy.

Usage: python tools/check_wheel_abi.py WHEEL [--policy manylinux_2_28]

For every ELF file in the wheel it lists the libraries it needs (DT_NEEDED)
and every versioned symbol it imports (GLIBC_2.x from libc/libm/libpthread,
GLIBCXX_3.4.x and CXXABI_1.3.x from libstdc++, GCC_x from libgcc_s), then
checks them against auditwheel's own policy table for that platform tag: the
libraries must be on the policy's whitelist and every version must be one the
policy allows (manylinux_2_28: glibc 2.28, GLIBCXX_3.4.25 and CXXABI_1.3.11,
i.e. GCC 8). Prints the newest version per family and exits 1 naming each
offending symbol. Needs auditwheel (for the policy table and pyelftools).
"""

from __future__ import annotations

import argparse
import importlib.resources
import io
import json
import sys
import zipfile
from collections import defaultdict

from elftools.elf.elffile import ELFFile

_ARCHES = {"EM_X86_64": "x86_64", "EM_AARCH64": "aarch64"}


def _policy(name: str, arch: str) -> tuple[set[str], dict[str, set[str]]]:
    text = (importlib.resources.files("auditwheel.policy") / "manylinux-policy.json").read_text()
    for entry in json.loads(text):
        if entry["name"] == name:
            return set(entry["lib_whitelist"]), {k: set(v) for k, v in entry["symbol_versions"][arch].items()}
    raise SystemExit(f"unknown policy {name!r}")


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else -1 for p in version.split("."))


def _imports(elf: ELFFile) -> tuple[list[str], list[tuple[str, str, str]]]:
    """(DT_NEEDED libraries, [(library, version name, symbol)] of versioned imports)."""
    dynamic = elf.get_section_by_name(".dynamic")
    needed = [tag.needed for tag in dynamic.iter_tags() if tag.entry.d_tag == "DT_NEEDED"] if dynamic else []
    verneed = elf.get_section_by_name(".gnu.version_r")
    versym = elf.get_section_by_name(".gnu.version")
    dynsym = elf.get_section_by_name(".dynsym")
    if verneed is None or versym is None or dynsym is None:
        return needed, []
    index_to_version: dict[int, tuple[str, str]] = {}
    for vn, auxiliaries in verneed.iter_versions():
        for aux in auxiliaries:
            index_to_version[aux.entry.vna_other] = (vn.name, aux.name)
    imports = []
    for i, sym in enumerate(dynsym.iter_symbols()):
        if sym.entry.st_shndx != "SHN_UNDEF" or not sym.name:
            continue
        ndx = versym.get_symbol(i).entry.ndx
        if isinstance(ndx, int) and ndx in index_to_version:
            library, version = index_to_version[ndx]
            imports.append((library, version, sym.name))
    return needed, imports


def check(wheel: str, policy: str) -> int:
    failures = []
    with zipfile.ZipFile(wheel) as zf:
        for name in zf.namelist():
            data = zf.read(name)
            if not data.startswith(b"\x7fELF"):
                continue
            elf = ELFFile(io.BytesIO(data))
            arch = _ARCHES.get(elf["e_machine"])
            if arch is None:
                failures.append(f"{name}: unsupported machine {elf['e_machine']}")
                continue
            whitelist, allowed = _policy(policy, arch)
            needed, imports = _imports(elf)
            print(f"{name} ({arch}) needs: {', '.join(needed)}")
            for lib in needed:
                # The dynamic loader comes with glibc (auditwheel allows it too).
                if lib not in whitelist and not lib.startswith(("ld-linux", "ld64.so")):
                    failures.append(f"{name}: needs {lib}, which {policy} does not provide")
            newest: dict[str, str] = {}
            offenders = defaultdict(list)
            for library, version, symbol in imports:
                family, _, number = version.partition("_")
                if family not in newest or _version_key(number) > _version_key(newest[family]):
                    newest[family] = number
                if number not in allowed.get(family, set()):
                    offenders[(library, version)].append(symbol)
            for family, number in sorted(newest.items()):
                print(f"  newest {family}_{number}")
            for (library, version), symbols in sorted(offenders.items()):
                failures.append(f"{name}: {version} from {library} is newer than {policy} allows: "
                                + ", ".join(sorted(symbols)))
    if failures:
        print(f"FAIL: {wheel} is not {policy}-compatible:", *failures, sep="\n  ")
        return 1
    print(f"OK: every extension in {wheel} fits {policy}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wheel")
    parser.add_argument("--policy", default="manylinux_2_28")
    args = parser.parse_args(argv)
    return check(args.wheel, args.policy)


if __name__ == "__main__":
    sys.exit(main())
