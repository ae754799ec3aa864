//! functionConfig: the four accepted forms, mapped to one [`FunctionConfig`].

mod model;

pub use model::*;
