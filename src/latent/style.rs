//! Style directions: for each class, the directions in code space along which the decoded
//! image's measures ([`crate::measure`]) change, one real unit at a time, and the measures'
//! spread over the training images. `latent-digits fit-style` fits them.

use serde::{Deserialize, Serialize};

use crate::architecture::LATENT_DIM;
use crate::measure::{MEASURES, Measure, Transfer};

/// How far a style may take a measure from the class's mean, in the class's standard deviations,
/// and a code from where it started, in spreads along each direction: beyond, codes leave the
/// class (`latent-digits evaluate-style` measured 2.5 and 2).
pub const STYLE_LIMIT: f32 = 2.0;

/// The measures of the training images and the directions that move them.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct StyleStats {
    /// Standard deviation of each measure over all training images, in its unit ([`MEASURES`]
    /// values, in the order of [`Measure::ALL`]).
    pub spreads: Vec<f32>,
    /// The measures codes can be moved along, in the order of each class's directions.
    pub steerable: Vec<Measure>,
    /// One per class.
    pub classes: Vec<ClassStyle>,
}

/// One class's measures and style directions.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ClassStyle {
    /// Mean of each measure over the class's training images ([`MEASURES`] values).
    pub means: Vec<f32>,
    /// Standard deviation of each measure within the class ([`MEASURES`] values).
    pub spreads: Vec<f32>,
    /// One row of 32 per steerable measure: moving a code by the row changes its decoded image's
    /// measure by one [`StyleStats::spreads`] on average, and the other steerable measures by
    /// little.
    pub directions: Vec<f32>,
}

/// A writer's style: for each measure, the value to write with, or `None` to leave it as the
/// code has it. Measures that carry over [`Transfer::Absolute`]ly are in their unit; the others
/// in standard deviations of the class.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Style(pub [Option<f32>; MEASURES]);

impl StyleStats {
    /// The position of `measure` among the directions, if codes can be moved along it.
    pub fn direction_of(&self, measure: Measure) -> Option<usize> {
        self.steerable.iter().position(|&m| m == measure)
    }

    /// Adds `amount` spreads of `measure`'s direction of `class` to `code`.
    pub fn shift(&self, code: &mut [f32], class: usize, direction: usize, amount: f32) {
        let row = &self.classes[class].directions[direction * LATENT_DIM..][..LATENT_DIM];
        for (z, d) in code.iter_mut().zip(row) {
            *z += amount * d;
        }
    }

    /// The measures to write `class` with in `style`, in their units: relative values become
    /// the class's own, and every value is kept within [`STYLE_LIMIT`] spreads of the class's
    /// mean.
    pub fn targets(&self, class: usize, style: &Style) -> [Option<f32>; MEASURES] {
        let own = &self.classes[class];
        std::array::from_fn(|i| {
            let value = style.0[i]?;
            let (mean, spread) = (own.means[i], own.spreads[i]);
            let value = match Measure::ALL[i].transfer() {
                Transfer::Absolute => value,
                Transfer::Relative => mean + value * spread,
            };
            Some(value.clamp(mean - STYLE_LIMIT * spread, mean + STYLE_LIMIT * spread))
        })
    }

    /// The style of images of the given classes whose measures are `measures` (one row of
    /// [`MEASURES`] each): the mean of each steerable measure, relative ones first made
    /// relative to each image's class.
    pub fn style_of(&self, measures: &[[f32; MEASURES]], classes: &[usize]) -> Style {
        let mut style = Style::default();
        for &measure in &self.steerable {
            let i = measure.index();
            let sum: f32 = measures
                .iter()
                .zip(classes)
                .map(|(row, &class)| {
                    let own = &self.classes[class];
                    match measure.transfer() {
                        Transfer::Absolute => row[i],
                        Transfer::Relative => (row[i] - own.means[i]) / own.spreads[i],
                    }
                })
                .sum();
            style.0[i] = Some(sum / measures.len().max(1) as f32);
        }
        style
    }

    /// Checks shapes and values against `classes` classes; the error says what is wrong.
    pub fn validate(&self, classes: usize) -> Result<(), String> {
        let positive = |values: &[f32]| values.iter().all(|v| v.is_finite() && *v > 0.0);
        if self.spreads.len() != MEASURES || !positive(&self.spreads) {
            return Err("style spreads must be 5 positive numbers".into());
        }
        if self.classes.len() != classes {
            return Err(format!(
                "style has {} classes, expected {classes}",
                self.classes.len()
            ));
        }
        let mut seen = [false; MEASURES];
        for measure in &self.steerable {
            if std::mem::replace(&mut seen[measure.index()], true) {
                return Err(format!("style steers {} twice", measure.name()));
            }
        }
        for (c, class) in self.classes.iter().enumerate() {
            let directions = self.steerable.len() * LATENT_DIM;
            if class.means.len() != MEASURES
                || !class.means.iter().all(|v| v.is_finite())
                || class.spreads.len() != MEASURES
                || !positive(&class.spreads)
                || class.directions.len() != directions
                || !class.directions.iter().all(|v| v.is_finite())
            {
                return Err(format!("class {c}'s style statistics are malformed"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Style statistics for `classes` classes where class `c`'s means are `c + 1` and spreads 1,
    /// steering slant and width along the first two coordinates.
    pub(crate) fn sample_style(classes: usize) -> StyleStats {
        StyleStats {
            spreads: vec![2.0; MEASURES],
            steerable: vec![Measure::Slant, Measure::Width],
            classes: (0..classes)
                .map(|c| {
                    let mut directions = vec![0.0; 2 * LATENT_DIM];
                    directions[0] = 1.0;
                    directions[LATENT_DIM + 1] = 1.0;
                    ClassStyle {
                        means: vec![c as f32 + 1.0; MEASURES],
                        spreads: vec![1.0; MEASURES],
                        directions,
                    }
                })
                .collect(),
        }
    }

    #[test]
    fn shifting_moves_along_the_measures_direction_only() {
        let style = sample_style(3);
        let mut code = vec![0.5; LATENT_DIM];
        let width = style.direction_of(Measure::Width).unwrap();
        style.shift(&mut code, 2, width, -1.5);
        assert_eq!(code[1], -1.0);
        assert!(code.iter().enumerate().all(|(i, &z)| i == 1 || z == 0.5));
        assert_eq!(style.direction_of(Measure::Thickness), None);
    }

    #[test]
    fn relative_measures_carry_over_in_the_target_class_spreads_and_all_stay_in_range() {
        let style = sample_style(3);
        // Written by class 0 (means 1): slant 1.5 (absolute), width 2 (1 spread above).
        let written = style.style_of(&[[1.5, 9.0, 2.0, 9.0, 9.0]], &[0]);
        assert_eq!(written.0, [Some(1.5), None, Some(1.0), None, None]);
        let targets = style.targets(2, &written);
        assert_eq!(targets, [Some(1.5), None, Some(4.0), None, None]);
        let wild = Style([Some(100.0), None, Some(-100.0), None, None]);
        assert_eq!(
            style.targets(1, &wild),
            [
                Some(2.0 + STYLE_LIMIT),
                None,
                Some(2.0 - STYLE_LIMIT),
                None,
                None
            ]
        );
    }

    #[test]
    fn malformed_statistics_are_named() {
        let mut style = sample_style(10);
        assert_eq!(style.validate(10), Ok(()));
        assert!(style.validate(9).unwrap_err().contains("10 classes"));
        style.classes[4].directions.pop();
        assert!(style.validate(10).unwrap_err().contains("class 4"));
        let mut twice = sample_style(10);
        twice.steerable.push(Measure::Slant);
        assert!(twice.validate(10).unwrap_err().contains("slant twice"));
    }
}
