//! The trainer's files: atomic writes, JSON, burnpack records and `.npy` arrays, each error
//! naming its file.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use burn::module::Module;
use burn::store::ModuleRecord;
use burn::tensor::Bytes;

/// Reads a whole file.
pub fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

/// Writes `bytes` to `path` (creating its folder) through a temporary file in the same folder
/// and a rename, so a reader (or a killed process) never sees a half-written file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_through_temporary(path, bytes).with_context(|| format!("cannot write {}", path.display()))
}

fn write_through_temporary(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{file_name}.{}.tmp", std::process::id()));
    let mut file = std::fs::File::create(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

/// Reads and parses a JSON file.
pub fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T> {
    serde_json::from_slice(&read(path)?).with_context(|| format!("{} is not valid", path.display()))
}

/// Writes `value` as pretty-printed JSON, atomically.
pub fn write_json(path: &Path, value: &impl serde::Serialize) -> Result<()> {
    let json = serde_json::to_vec_pretty(value)
        .with_context(|| format!("cannot serialise {}", path.display()))?;
    write_atomic(path, &json)
}

/// Reads a burnpack record.
pub fn read_record(path: &Path) -> Result<ModuleRecord> {
    ModuleRecord::from_bytes(Bytes::from_bytes_vec(read(path)?))
        .with_context(|| format!("{} is not a valid model record", path.display()))
}

/// Saves a module's parameters as a burnpack record, atomically.
pub fn save_record<M: Module>(path: &Path, module: M) -> Result<()> {
    let bytes = module
        .into_record()
        .into_bytes()
        .with_context(|| format!("cannot serialise {}", path.display()))?;
    write_atomic(path, &bytes)
}

/// Writes a row-major `f32` array of the given shape as `.npy`, atomically.
pub fn write_npy_f32(path: &Path, shape: &[u64], values: &[f32]) -> Result<()> {
    write_npy(path, shape, values.iter().copied())
}

/// Writes an `i64` array of the given shape as `.npy`, atomically.
pub fn write_npy_i64(path: &Path, shape: &[u64], values: &[i64]) -> Result<()> {
    write_npy(path, shape, values.iter().copied())
}

/// Reads every value of a `.npy` file (of element type `T`), whatever its shape.
pub fn read_npy<T: npyz::Deserialize>(path: &Path) -> Result<Vec<T>> {
    let bytes = read(path)?;
    npyz::NpyFile::new(&bytes[..])
        .and_then(|file| file.into_vec::<T>())
        .with_context(|| {
            format!(
                "{} is not a .npy file of {}",
                path.display(),
                std::any::type_name::<T>()
            )
        })
}

fn write_npy<T: npyz::Serialize + npyz::AutoSerialize>(
    path: &Path,
    shape: &[u64],
    values: impl ExactSizeIterator<Item = T>,
) -> Result<()> {
    assert_eq!(
        values.len() as u64,
        shape.iter().product::<u64>(),
        "shape does not match data"
    );
    let mut buffer = std::io::Cursor::new(Vec::new());
    use npyz::WriterBuilder;
    let mut writer = npyz::WriteOptions::new()
        .default_dtype()
        .shape(shape)
        .writer(&mut buffer)
        .begin_nd()?;
    writer.extend(values)?;
    writer.finish()?;
    write_atomic(path, &buffer.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn npy_round_trips_and_leaves_no_temporary_file() {
        let dir = std::env::temp_dir().join(format!("latent-digits-npy-{}", std::process::id()));
        let path = dir.join("x.npy");
        write_npy_f32(&path, &[2, 3], &[0.0, 0.5, 1.0, 0.25, 0.75, 1.0]).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        let npy = npyz::NpyFile::new(&bytes[..]).unwrap();
        assert_eq!(npy.shape(), &[2, 3]);
        assert_eq!(
            npy.into_vec::<f32>().unwrap(),
            vec![0.0, 0.5, 1.0, 0.25, 0.75, 1.0]
        );
        let leftovers: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
        assert_eq!(leftovers.len(), 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
