"""Hand-written CPU kernels called from JAX through the XLA FFI, compiled on first use.

``weight_gradient(x, g)`` is ``x.T @ g`` contracting over the rows: the weight gradient of a
dense layer applied to every edge. XLA's CPU backend runs this product in its own kernel at
about half the rate of its other products here (YNNPACK does not take it), and it is a third
of a 10-layer OGN training step (README, "Speed of the graph network"). The C++ kernel
(``weight_gradient.cc``) is compiled with the system's C++ compiler (``$CXX``, else ``g++``)
for this CPU (``-march=native``) into a cache directory (``$OGN_KERNEL_CACHE``, else
``~/.cache/ogn-kernels``), keyed by its source, the compiler flags, the jaxlib version and the
CPU's model and flags, so a cluster node with another CPU builds its own. Where no compiler is
found, the build fails, or JAX runs on a GPU, :func:`weight_gradient` is XLA's product: the
results agree to float32 rounding either way.
"""

import functools
import hashlib
import os
import platform
import shutil
import subprocess
import tempfile
from pathlib import Path

import jax
import jax.numpy as jnp

SOURCE = Path(__file__).with_name("weight_gradient.cc")
TARGET = "ogn_weight_gradient"
FLAGS = ("-O3", "-march=native", "-std=c++17", "-shared", "-fPIC", "-w")
TILE_ROWS, TILE_COLUMNS = 8, 32  # the kernel's register tile: m % 8 == 0, n % 32 == 0


def _cpu_signature() -> str:
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return platform.processor() or platform.machine()
    keep = [line for line in lines if line.startswith(("model name", "flags"))]
    return "\n".join(sorted(set(keep)))


def _cache_dir() -> Path:
    return Path(os.environ.get("OGN_KERNEL_CACHE")
                or Path.home() / ".cache" / "ogn-kernels")


def build_library() -> Path:
    """The compiled kernel library for this CPU (built into the cache if missing).

    Raises RuntimeError with the compiler's message when it cannot be built."""
    compiler = os.environ.get("CXX") or shutil.which("g++") or shutil.which("c++")
    if not compiler:
        raise RuntimeError("no C++ compiler found (set CXX or install g++)")
    source = SOURCE.read_bytes()
    key = hashlib.sha256(b"\0".join([source, " ".join(FLAGS).encode(), compiler.encode(),
                                     jax.lib.__version__.encode(),
                                     _cpu_signature().encode()])).hexdigest()[:16]
    library = _cache_dir() / f"libogn_weight_gradient_{key}.so"
    if library.exists():
        return library
    library.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=library.parent) as scratch:
        partial = Path(scratch) / library.name
        command = [compiler, *FLAGS, f"-I{jax.ffi.include_dir()}", str(SOURCE), "-o",
                   str(partial), "-lpthread"]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"building {SOURCE.name} failed ({' '.join(command)}):\n"
                               f"{done.stderr[-2000:]}")
        os.replace(partial, library)  # atomic: concurrent jobs never load a partial file
    return library


@functools.cache
def cpu_kernel_available() -> bool:
    """True once the kernel is built, loaded and registered with XLA for the CPU."""
    if os.environ.get("OGN_NO_CPU_KERNELS"):
        return False
    try:
        import ctypes
        library = ctypes.cdll.LoadLibrary(str(build_library()))
        jax.ffi.register_ffi_target(TARGET, jax.ffi.pycapsule(library.OgnWeightGradient),
                                    platform="cpu")
    except Exception as error:  # noqa: BLE001 - any failure means: use XLA's product
        print(f"ogn.net.kernels: using XLA's product for weight gradients ({error})", flush=True)
        return False
    return True


def kernel_applies(x, g) -> bool:
    """Whether :func:`weight_gradient` of these operands runs the C++ kernel on a CPU."""
    return (x.ndim == 2 and g.ndim == 2 and x.dtype == jnp.float32 and g.dtype == jnp.float32
            and x.shape[1] % TILE_ROWS == 0 and g.shape[1] % TILE_COLUMNS == 0
            and cpu_kernel_available())


def weight_gradient(x, g):
    """``x.T @ g`` (m, n) of ``x`` (rows, m) and ``g`` (rows, n): the C++ kernel on a CPU where
    it applies, XLA's product elsewhere (GPU, other dtypes or widths, no compiler)."""
    if not kernel_applies(x, g):
        return x.T @ g
    call = jax.ffi.ffi_call(TARGET, jax.ShapeDtypeStruct((x.shape[1], g.shape[1]), x.dtype),
                            vmap_method="sequential")

    return jax.lax.platform_dependent(x, g, cpu=call, default=lambda x, g: x.T @ g)
