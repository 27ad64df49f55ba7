#!/usr/bin/env python3
"""Checks docker/Dockerfile against the repository (stdlib only; run by docker/lint.sh).

    python3 docker/check_dockerfile.py ARGUS_BINARY [BASE_ROOTFS_TAR]

1. Every file a COPY names (outside --from) exists in the build context (the repository root).
2. The builder stage runs the documented build commands (docs/development.md, "Build and test"): its
   apt-get package list is that page's, and its swift build is that page's build command plus
   --static-swift-stdlib.
3. The runtime stage installs exactly the Debian packages that own the libraries the binary links (plus
   DATA_PACKAGES: ca-certificates)
   (its ELF NEEDED entries, resolved by the dynamic loader here and mapped with dpkg -S), less those
   already in the base image: read from BASE_ROOTFS_TAR's dpkg status when given (the debootstrap
   base docker/verify.sh builds), else debian:bookworm-slim's libc6, libgcc-s1, libstdc++6, zlib1g.
Prints one line per check and exits 1 if any fails.
"""
import glob
import os
import re
import shlex
import subprocess
import sys
import tarfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# In debian:bookworm-slim (apt depends on libstdc++6 and libgcc-s1; zlib1g and libc6 are required).
SLIM_BASE = {"libc6", "libgcc-s1", "libstdc++6", "zlib1g"}
# Linked into the binary by --static-swift-stdlib; a dynamically linked dev build names them too.
# Runtime packages that are data, not linked libraries: the CA bundle libcurl verifies https against.
DATA_PACKAGES = {"ca-certificates"}
SWIFT_RUNTIME = re.compile(r"^lib(swift|Foundation|_Foundation|dispatch|BlocksRuntime|icu)")


def instructions(path):
    """(stage, keyword, text) for each instruction; continuation lines joined, comments dropped."""
    out, stage, pending = [], None, ""
    for raw in open(path):
        line = raw.rstrip("\n")
        if not pending and line.lstrip().startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line, pending = pending + line, ""
        if not line.strip():
            continue
        keyword, _, rest = line.strip().partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            m = re.search(r"\bAS\s+(\S+)", rest, re.I)
            stage = m.group(1) if m else rest.split()[0]
        out.append((stage, keyword, rest.strip()))
    return out


def apt_packages(run_text):
    """The package names of `apt-get install` in a RUN (options dropped)."""
    for command in run_text.split("&&"):
        words = shlex.split(command)
        if words[:2] == ["apt-get", "install"]:
            return {w for w in words[2:] if not w.startswith("-")}
    return set()


def needed_packages(binary):
    """Debian packages owning the binary's NEEDED libraries (Swift runtime left out)."""
    dynamic = subprocess.run(["readelf", "-d", binary], capture_output=True, text=True, check=True).stdout
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[(.+?)\]", dynamic)
    resolved = {}
    for line in subprocess.run(["ldd", binary], capture_output=True, text=True, check=True).stdout.splitlines():
        m = re.match(r"\s*(\S+) => (\S+)", line)
        if m:
            resolved[m.group(1)] = m.group(2)
        m = re.match(r"\s*(/\S+) \(", line)  # the dynamic loader: "/lib64/ld-linux-x86-64.so.2 (0x...)"
        if m:
            resolved[os.path.basename(m.group(1))] = m.group(1)
    packages, swift = {}, []
    for soname in needed:
        if SWIFT_RUNTIME.match(soname):
            swift.append(soname)
            continue
        if soname not in resolved or resolved[soname] == "not":
            raise SystemExit(f"FAIL {soname} does not resolve on this machine")
        real = os.path.realpath(resolved[soname])
        owner = subprocess.run(["dpkg", "-S", real], capture_output=True, text=True)
        if owner.returncode != 0:  # merged /usr: dpkg may know the /lib spelling
            owner = subprocess.run(["dpkg", "-S", real.replace("/usr/lib/", "/lib/", 1)], capture_output=True, text=True)
        if owner.returncode != 0:
            raise SystemExit(f"FAIL no Debian package owns {real} ({soname})")
        packages[soname] = owner.stdout.split(":")[0]
    return packages, swift


def base_packages(rootfs_tar):
    if not rootfs_tar:
        return SLIM_BASE, "debian:bookworm-slim"
    with tarfile.open(rootfs_tar) as tar:
        status = tar.extractfile("./var/lib/dpkg/status").read().decode()
    names = set()
    for block in status.split("\n\n"):
        fields = dict(re.findall(r"^(Package|Status): (.*)$", block, re.M))
        if fields.get("Status", "").endswith(" installed"):
            names.add(fields["Package"])
    return names, os.path.basename(rootfs_tar)


def main():
    binary = sys.argv[1]
    rootfs_tar = sys.argv[2] if len(sys.argv) > 2 else None
    dockerfile = os.path.join(REPO, "docker", "Dockerfile")
    steps = instructions(dockerfile)
    failures = 0

    def report(ok, text):
        nonlocal failures
        failures += 0 if ok else 1
        print(("PASS " if ok else "FAIL ") + text)

    # 1. COPY sources exist (ARG defaults substituted).
    args = {}
    missing, copied = [], 0
    for _, keyword, rest in steps:
        if keyword == "ARG" and "=" in rest:
            name, _, value = rest.partition("=")
            args[name.strip()] = value.strip()
        if keyword == "COPY" and "--from=" not in rest:
            words = [w for w in shlex.split(rest) if not w.startswith("--")]
            for source in words[:-1]:
                source = re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: args.get(m.group(1) or m.group(2), ""), source)
                copied += 1
                # COPY takes Go filepath.Match patterns; a pattern must match at least one file.
                path = os.path.join(REPO, source)
                if not (glob.glob(path) if any(c in source for c in "*?[") else os.path.exists(path)):
                    missing.append(source)
    report(copied > 0 and not missing, f"every COPY source exists ({copied} checked)" + (f"; missing: {missing}" if missing else ""))

    # 2. The builder stage's commands are the documented ones (docs/development.md).
    readme = open(os.path.join(REPO, "docs", "development.md")).read()
    readme_apt = next((apt_packages(line.replace("sudo ", "")) for line in readme.splitlines()
                       if "apt-get install" in line), set())
    readme_build = next((line.strip() for line in readme.splitlines() if line.strip().startswith("swift build ")), None)
    builder_runs = " && ".join(rest for stage, keyword, rest in steps if stage == "builder" and keyword == "RUN")
    builder_apt = apt_packages(builder_runs)
    report(readme_apt and builder_apt == readme_apt,
           f"builder installs docs/development.md's packages ({sorted(readme_apt)})" + ("" if builder_apt == readme_apt else f"; Dockerfile: {sorted(builder_apt)}"))
    wanted = f"{readme_build} --static-swift-stdlib" if readme_build else None
    report(wanted is not None and wanted in builder_runs, f"builder runs docs/development.md's build: `{wanted}`")

    # 3. Runtime libraries match what the binary links.
    runtime_runs = " && ".join(rest for stage, keyword, rest in steps if stage == "runtime" and keyword == "RUN")
    runtime_apt = apt_packages(runtime_runs)
    packages, swift = needed_packages(binary)
    base, base_name = base_packages(rootfs_tar)
    required = {p for p in packages.values() if p not in base}
    detail = ", ".join(f"{s} -> {p}" for s, p in sorted(packages.items()))
    if swift:
        print(f"note: {binary} links the Swift runtime dynamically ({', '.join(swift)}); the image links it statically")
    report(runtime_apt == required | DATA_PACKAGES,
           f"runtime installs exactly the linked libraries' packages not in {base_name}: {sorted(required)} "
           f"plus {sorted(DATA_PACKAGES)} "
           f"(Dockerfile: {sorted(runtime_apt)}; {detail})")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
