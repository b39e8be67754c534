//! The two data sets a model can be trained on, and what the page calls their classes.

use serde::{Deserialize, Serialize};

use crate::latent::CLASSES;

/// Which data set a model was trained on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Dataset {
    /// Handwritten digits.
    Mnist,
    /// Zalando's clothing images, same format.
    Fashion,
}

impl Dataset {
    /// Both data sets, digits first.
    pub const ALL: [Self; 2] = [Self::Mnist, Self::Fashion];

    /// Lower-case name, as on the command line and in the page's URL.
    pub fn name(self) -> &'static str {
        match self {
            Self::Mnist => "mnist",
            Self::Fashion => "fashion",
        }
    }

    /// The data set called `name` ([`Dataset::name`]).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.name() == name)
    }

    /// The name of each class, by label.
    pub fn class_names(self) -> [&'static str; CLASSES] {
        match self {
            Self::Mnist => ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
            Self::Fashion => [
                "T-shirt",
                "Trouser",
                "Pullover",
                "Dress",
                "Coat",
                "Sandal",
                "Shirt",
                "Sneaker",
                "Bag",
                "Ankle boot",
            ],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_every_class_is_named_once() {
        for dataset in Dataset::ALL {
            assert_eq!(Dataset::from_name(dataset.name()), Some(dataset));
            let names = dataset.class_names();
            for (i, name) in names.iter().enumerate() {
                assert!(!name.is_empty() && !names[..i].contains(name), "{name}");
            }
        }
        assert_eq!(Dataset::from_name("kmnist"), None);
    }
}
