"""Start-up file of the notebook kernels the tests run (``PYTHONSTARTUP``, set by conftest.py).

Guards the checkout: a lab may write under ``LABS_WORK_DIR``, into the data directory (the
download cache), into ``__pycache__``, or outside the checkout, and nowhere else. Any other
write, mkdir, rename or removal inside ``LABS_CHECKOUT`` raises ``PermissionError`` naming the
path, so the cell fails and nbval reports it: every notebook run by the tests proves that
setting ``LABS_WORK_DIR`` leaves the checkout unchanged. Python's audit hooks see every file
the kernel's Python code opens for writing (``open``, ``os.open``, NumPy, Matplotlib, JSON).
"""


def _guard_the_checkout():
    import os
    import sys

    checkout = os.environ.get("LABS_CHECKOUT", "")
    if not checkout:
        return
    checkout = os.path.realpath(checkout)

    def allowed_roots():
        roots = []
        for variable in ("LABS_WORK_DIR", "LABS_DATA_DIR"):
            if os.environ.get(variable, "").strip():
                roots.append(os.path.realpath(os.path.expanduser(os.environ[variable].strip())))
        if not os.environ.get("LABS_DATA_DIR", "").strip():
            roots.append(os.path.join(checkout, "data"))  # the default data directory in a checkout
        if not os.environ.get("LABS_WORK_DIR", "").strip():
            roots.append(os.path.join(checkout, "data"))
        return roots

    def inside(path, folder):
        return path == folder or path.startswith(folder + os.sep)

    def check(path, what):
        if isinstance(path, int):
            return
        path = os.path.realpath(os.fsdecode(path))
        if not inside(path, checkout) or "__pycache__" in path.split(os.sep):
            return
        if any(inside(path, root) for root in allowed_roots()):
            return
        raise PermissionError(f"a lab tried to {what} {path}: inside the checkout {checkout} but outside "
                              f"LABS_WORK_DIR ({os.environ.get('LABS_WORK_DIR') or 'unset'}); "
                              "write under labs.work_dir() instead")

    writing = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC

    def hook(event, args):
        if event == "open":
            path, mode, flags = args
            if (mode and any(c in mode for c in "wax+")) or (not mode and flags and flags & writing):
                check(path, "write")
        elif event == "os.mkdir":
            check(args[0], "create the folder")
        elif event == "os.rename":
            check(args[1], "rename a file to")
        elif event in ("os.remove", "os.rmdir", "shutil.rmtree"):
            check(args[0], "remove")

    sys.addaudithook(hook)


_guard_the_checkout()
del _guard_the_checkout
