//! The `reel` binary: parse arguments, run, map the outcome to an exit code.

use std::process::ExitCode;

// reel allocates many small JSON values per row; glibc's malloc/free were ~28% of
// `reel build`'s instructions (callgrind, 2,000 rows of the product promo).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    reel::cli::main()
}
