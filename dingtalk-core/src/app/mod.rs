//! The app robot (企业内部应用机器人): an app's credentials, and the access token the
//! OpenAPI asks of every request, kept by [`TokenCache`].

mod token;

#[allow(unused_imports)] // by the app robot's client, to come
pub(crate) use token::{AccessToken, AppCredentials, TokenCache};
