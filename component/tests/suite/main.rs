//! The component crate's tests, in one binary (one link of both engines):
//! each module is one area of the component model.

#[macro_use]
mod common;
mod asyncs;
mod bindings;
mod byte_streams;
mod c_components;
mod calls;
mod composed;
mod control;
mod differential;
mod embedded;
mod front_end;
mod hostile;
mod resources;
