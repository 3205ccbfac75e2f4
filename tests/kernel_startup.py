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

    def check(path, what, dir_fd=None):
        if isinstance(path, int):
            return
        path = os.fsdecode(path)
        if dir_fd is not None and not os.path.isabs(path):  # relative to an open folder (rmtree does this)
            try:
                path = os.path.join(os.readlink(f"/proc/self/fd/{dir_fd}"), path)
            except OSError:
                return  # no /proc: the folder cannot be named, so it cannot be judged
        path = os.path.realpath(path)
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
        elif event == "os.mkdir":  # (path, mode, dir_fd)
            check(args[0], "create the folder", args[2])
        elif event == "os.rename":  # (src, dst, src_dir_fd, dst_dir_fd)
            check(args[1], "rename a file to", args[3])
        elif event in ("os.remove", "os.rmdir"):  # (path, dir_fd)
            check(args[0], "remove", args[1])
        elif event == "shutil.rmtree":  # (path, dir_fd) since 3.11
            check(args[0], "remove", args[1] if len(args) > 1 else None)

    sys.addaudithook(hook)


_guard_the_checkout()
del _guard_the_checkout
