//! The one integration-test binary (as just and ripgrep do): each area has its own module,
//! `util` holds the shared helpers.

mod assets;
mod batch;
mod bounds;
mod cli;
mod conformance;
mod edit;
mod fuzz;
mod hostile;
mod html;
mod k8s;
mod lsp;
mod media;
mod output;
mod probe;
mod render;
mod resolve;
mod segments;
mod shared;
mod still;
mod studio;
mod syntax;
mod template;
mod text;
mod util;
mod watch;
mod zoom;
