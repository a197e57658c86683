//! The one integration-test binary (as just and ripgrep do): each area has its own module,
//! `util` holds the shared helpers.

mod batch;
mod cli;
mod edit;
mod hostile;
mod html;
mod k8s;
mod media;
mod output;
mod render;
mod resolve;
mod syntax;
mod template;
mod text;
mod util;
mod watch;
