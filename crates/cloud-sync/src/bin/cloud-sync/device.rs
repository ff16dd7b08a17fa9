//! `cloud-sync device show|rename`.

use cloud_sync::Device;
use serde_json::json;

use crate::context::Context;
use crate::failure::Failure;
use crate::output::Output;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// This device's id, name and creation time.
    Show,
    /// Give this device a new name (its id stays).
    Rename {
        /// The new name.
        name: String,
    },
}

pub fn run(context: &Context, command: &Command, out: &Output) -> Result<(), Failure> {
    let device = match command {
        Command::Show => context.device.clone(),
        Command::Rename { name } => {
            let device = Device::rename(context.device_file(), name)?;
            device.publish(&context.remote)?;
            device
        }
    };
    out.emit(json!({"device": device}), || {
        format!(
            "device {}\n  id:      {}\n  created: {}",
            device.name, device.id, device.created
        )
    });
    Ok(())
}
