//! Animated GIFs of digit frames: the morph a visitor takes away (`pathGif` in the page) and the
//! command-line tool's `figures` loop. Frames are grey, so the palette is 256 grey levels and a
//! pixel's index is its grey level: nothing is lost but the rounding to 8 bits. Each pixel becomes
//! a `scale` × `scale` block; an optional strip under the frame names the leg being played
//! ("3>4") in a built-in 3 × 5 pixel font.

use gif::{Encoder, Frame, Repeat};

use crate::architecture::{IMAGE_PIXELS, IMAGE_SIDE as SIDE};

/// Largest upscaling accepted.
pub const MAX_SCALE: usize = 10;
/// Shortest frame time in ms: browsers show faster GIFs at 10 frames/s.
pub const MIN_FRAME_MS: u64 = 20;
/// Longest frame time in ms.
pub const MAX_FRAME_MS: u64 = 10_000;
/// Font pixels of one glyph, and of the strip's height (a glyph and a margin above and below).
const GLYPH_WIDTH: usize = 3;
const GLYPH_HEIGHT: usize = 5;
const STRIP_HEIGHT: usize = GLYPH_HEIGHT + 2;
/// Grey levels of the strip's background and text.
const STRIP_GREY: u8 = 48;
const TEXT_GREY: u8 = 255;

/// How a GIF looks: the upscaling of each pixel and the display time of each frame.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GifLook {
    /// Each pixel becomes a `scale` × `scale` block, 1 to [`MAX_SCALE`].
    pub scale: usize,
    /// Display time of a frame in ms, [`MIN_FRAME_MS`] to [`MAX_FRAME_MS`], rounded up to the
    /// GIF's 10 ms steps.
    pub frame_ms: u64,
}

/// Encodes row-major 28 × 28 frames in [0, 1] as a GIF that loops forever, with one caption
/// per frame (digits, `>`, `*` and spaces) in a strip under it, or no strip. The one check of
/// every GIF option.
pub fn animated_gif(
    frames: &[f32],
    look: GifLook,
    captions: Option<&[String]>,
) -> Result<Vec<u8>, String> {
    let count = frames.len() / IMAGE_PIXELS;
    if count == 0 || !frames.len().is_multiple_of(IMAGE_PIXELS) {
        return Err(format!(
            "the frames must hold a positive multiple of {IMAGE_PIXELS} values, got {}",
            frames.len()
        ));
    }
    if !(1..=MAX_SCALE).contains(&look.scale) {
        return Err(format!(
            "the scale must be from 1 to {MAX_SCALE}, got {}",
            look.scale
        ));
    }
    if !(MIN_FRAME_MS..=MAX_FRAME_MS).contains(&look.frame_ms) {
        return Err(format!(
            "the frame time must be from {MIN_FRAME_MS} to {MAX_FRAME_MS} ms, got {}",
            look.frame_ms
        ));
    }
    if let Some(captions) = captions {
        if captions.len() != count {
            return Err(format!(
                "{} captions for {count} frames: one caption per frame",
                captions.len()
            ));
        }
        if let Some(c) = captions
            .iter()
            .flat_map(|c| c.chars())
            .find(|&c| !can_draw(c))
        {
            return Err(format!(
                "labels and captions may hold digits, '>', '*' and spaces, not {c:?}"
            ));
        }
    }
    let width = SIDE * look.scale;
    let strip = captions.map_or(0, |_| STRIP_HEIGHT);
    let height = (SIDE + strip) * look.scale;
    // Hundredths of a second, the GIF's unit.
    let delay = look.frame_ms.div_ceil(10) as u16;
    let palette: Vec<u8> = (0..=255u8).flat_map(|g| [g, g, g]).collect();
    let mut bytes = Vec::new();
    let mut encoder = Encoder::new(&mut bytes, width as u16, height as u16, &palette)
        .map_err(|e| e.to_string())?;
    encoder
        .set_repeat(Repeat::Infinite)
        .map_err(|e| e.to_string())?;
    for (i, frame) in frames.chunks_exact(IMAGE_PIXELS).enumerate() {
        let mut indices = scaled(&grey_levels(frame), SIDE, look.scale);
        if let Some(captions) = captions {
            indices.extend(scaled(&caption_strip(&captions[i], SIDE), SIDE, look.scale));
        }
        let mut frame = Frame::from_indexed_pixels(width as u16, height as u16, indices, None);
        frame.delay = delay;
        encoder.write_frame(&frame).map_err(|e| e.to_string())?;
    }
    // Writes the trailer and gives the borrow of `bytes` back.
    encoder.into_inner().map_err(|e| e.to_string())?;
    Ok(bytes)
}

/// The 8-bit grey level of each pixel in [0, 1]: its palette index.
pub fn grey_levels(pixels: &[f32]) -> Vec<u8> {
    pixels
        .iter()
        .map(|&p| (p.clamp(0.0, 1.0) * 255.0).round() as u8)
        .collect()
}

/// Each value of a row-major image `width` wide becomes a `scale` × `scale` block.
fn scaled(values: &[u8], width: usize, scale: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(values.len() * scale * scale);
    for row in values.chunks_exact(width) {
        let wide: Vec<u8> = row
            .iter()
            .flat_map(|&v| std::iter::repeat_n(v, scale))
            .collect();
        for _ in 0..scale {
            out.extend_from_slice(&wide);
        }
    }
    out
}

/// A `width` × [`STRIP_HEIGHT`] strip with `caption` centred in the built-in font (one font
/// pixel per image pixel; captions too long for the strip are cut at its edges).
fn caption_strip(caption: &str, width: usize) -> Vec<u8> {
    let mut strip = vec![STRIP_GREY; width * STRIP_HEIGHT];
    let glyphs: Vec<[u8; GLYPH_HEIGHT]> = caption.chars().filter_map(glyph).collect();
    let text_width = (glyphs.len() * (GLYPH_WIDTH + 1)).saturating_sub(1);
    let left = width.saturating_sub(text_width) / 2;
    for (k, rows) in glyphs.iter().enumerate() {
        for (y, bits) in rows.iter().enumerate() {
            for x in 0..GLYPH_WIDTH {
                let column = left + k * (GLYPH_WIDTH + 1) + x;
                if bits & (0b100 >> x) != 0 && column < width {
                    strip[(y + 1) * width + column] = TEXT_GREY;
                }
            }
        }
    }
    strip
}

/// Whether captions may hold `c`: digits, `>`, `*` and spaces.
fn can_draw(c: char) -> bool {
    glyph(c).is_some()
}

/// The 3 × 5 glyph of `c`, one row of 3 bits per line (the high bit on the left).
fn glyph(c: char) -> Option<[u8; GLYPH_HEIGHT]> {
    Some(match c {
        '0' => [0b111, 0b101, 0b101, 0b101, 0b111],
        '1' => [0b010, 0b110, 0b010, 0b010, 0b111],
        '2' => [0b111, 0b001, 0b111, 0b100, 0b111],
        '3' => [0b111, 0b001, 0b111, 0b001, 0b111],
        '4' => [0b101, 0b101, 0b111, 0b001, 0b001],
        '5' => [0b111, 0b100, 0b111, 0b001, 0b111],
        '6' => [0b111, 0b100, 0b111, 0b101, 0b111],
        '7' => [0b111, 0b001, 0b001, 0b001, 0b001],
        '8' => [0b111, 0b101, 0b111, 0b101, 0b111],
        '9' => [0b111, 0b101, 0b111, 0b001, 0b111],
        '>' => [0b100, 0b010, 0b001, 0b010, 0b100],
        '*' => [0b000, 0b101, 0b010, 0b101, 0b000],
        ' ' => [0; GLYPH_HEIGHT],
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use gif::{ColorOutput, DecodeOptions};

    /// Every frame of a GIF as palette indices, with its size, delay and the loop setting.
    struct Decoded {
        width: usize,
        height: usize,
        frames: Vec<Vec<u8>>,
        delays: Vec<u16>,
        repeat: Repeat,
    }

    fn decode(bytes: &[u8]) -> Decoded {
        let mut options = DecodeOptions::new();
        options.set_color_output(ColorOutput::Indexed);
        let mut decoder = options.read_info(bytes).unwrap();
        let (width, height) = (usize::from(decoder.width()), usize::from(decoder.height()));
        let (mut frames, mut delays) = (Vec::new(), Vec::new());
        while let Some(frame) = decoder.read_next_frame().unwrap() {
            assert_eq!((frame.left, frame.top), (0, 0));
            assert_eq!(
                (usize::from(frame.width), usize::from(frame.height)),
                (width, height)
            );
            frames.push(frame.buffer.to_vec());
            delays.push(frame.delay);
        }
        Decoded {
            width,
            height,
            frames,
            delays,
            repeat: decoder.repeat(),
        }
    }

    /// Three frames: a gradient, black, white.
    fn three_frames() -> Vec<f32> {
        let mut frames: Vec<f32> = (0..IMAGE_PIXELS)
            .map(|i| i as f32 / (IMAGE_PIXELS - 1) as f32)
            .collect();
        frames.extend([0.0; IMAGE_PIXELS]);
        frames.extend([1.0; IMAGE_PIXELS]);
        frames
    }

    #[test]
    fn frames_come_back_as_their_grey_levels_scaled_and_looping() {
        let frames = three_frames();
        let look = GifLook {
            scale: 3,
            frame_ms: 40,
        };
        let gif = decode(&animated_gif(&frames, look, None).unwrap());
        assert_eq!((gif.width, gif.height), (84, 84));
        assert_eq!(gif.frames.len(), 3);
        assert_eq!(gif.delays, vec![4, 4, 4]);
        assert_eq!(gif.repeat, Repeat::Infinite);
        for (frame, decoded) in frames.chunks(IMAGE_PIXELS).zip(&gif.frames) {
            let levels = grey_levels(frame);
            for y in 0..84 {
                for x in 0..84 {
                    assert_eq!(decoded[y * 84 + x], levels[(y / 3) * SIDE + x / 3]);
                }
            }
        }
    }

    #[test]
    fn captions_are_drawn_in_a_strip_under_each_frame() {
        let frames = three_frames();
        let captions: Vec<String> = ["3>4", "4", "*>9"].map(String::from).to_vec();
        let look = GifLook {
            scale: 2,
            frame_ms: 20,
        };
        let gif = decode(&animated_gif(&frames, look, Some(&captions)).unwrap());
        assert_eq!((gif.width, gif.height), (56, 2 * (SIDE + STRIP_HEIGHT)));
        let strip_of = |frame: &Vec<u8>| frame[2 * SIDE * 56..].to_vec();
        for (frame, caption) in gif.frames.iter().zip(&captions) {
            assert_eq!(
                strip_of(frame),
                scaled(&caption_strip(caption, SIDE), SIDE, 2)
            );
            assert!(strip_of(frame).contains(&TEXT_GREY));
        }
        assert_ne!(strip_of(&gif.frames[0]), strip_of(&gif.frames[2]));
    }

    #[test]
    fn a_glyph_is_drawn_where_its_bits_say() {
        let strip = caption_strip("7", 5);
        // Centred: one column of margin, the glyph in columns 1–3; row 0 is the top margin.
        assert_eq!(&strip[5..10], &[STRIP_GREY, 255, 255, 255, STRIP_GREY]);
        assert_eq!(
            &strip[10..15],
            &[STRIP_GREY, STRIP_GREY, STRIP_GREY, 255, STRIP_GREY]
        );
    }

    #[test]
    fn a_path_gif_holds_the_frames_of_the_path_at_their_grey_levels() {
        use crate::generator::{Class, Generator};
        let g = Generator::embedded().unwrap();
        let digits = [3, 8, 1].map(|d| Class::new(d).unwrap());
        let stops: Vec<f32> = digits
            .iter()
            .flat_map(|&d| g.class_mean(d).to_vec())
            .collect();
        let labels = ["3", "8", "1"].map(String::from);
        let look = GifLook {
            scale: 2,
            frame_ms: 50,
        };
        let gif = decode(&g.path_gif(&stops, 5, look, Some(&labels)).unwrap());
        let path = g.path(&digits, 5).unwrap();
        assert_eq!(gif.frames.len(), 11);
        assert_eq!((gif.width, gif.height), (56, 2 * (SIDE + STRIP_HEIGHT)));
        assert_eq!(gif.delays, vec![5; 11]);
        assert_eq!(gif.repeat, Repeat::Infinite);
        for (i, (frame, decoded)) in path.chunks(IMAGE_PIXELS).zip(&gif.frames).enumerate() {
            let picture = &decoded[..56 * 56];
            assert_eq!(
                picture,
                &scaled(&grey_levels(frame), SIDE, 2)[..],
                "frame {i}"
            );
            let caption = match i {
                0..5 => "3>8",
                5..10 => "8>1",
                _ => "1",
            };
            assert_eq!(
                decoded[56 * 56..],
                scaled(&caption_strip(caption, SIDE), SIDE, 2)
            );
        }
    }

    #[test]
    fn bad_options_are_refused_with_a_message() {
        let frames = three_frames();
        let look = |scale, frame_ms| GifLook { scale, frame_ms };
        let error = |frames: &[f32], look: GifLook, captions: Option<&[String]>| {
            animated_gif(frames, look, captions).unwrap_err()
        };
        assert!(error(&frames, look(0, 40), None).contains("scale must be from 1 to 10"));
        assert!(error(&frames, look(11, 40), None).contains("got 11"));
        for frame_ms in [10, 19, 10_001] {
            let message = error(&frames, look(2, frame_ms), None);
            assert!(message.contains("from 20 to 10000 ms"), "{message}");
        }
        assert!(error(&[], look(2, 40), None).contains("positive multiple of 784"));
        assert!(error(&frames[1..], look(2, 40), None).contains("positive multiple"));
        let two = ["1", "2"].map(String::from);
        assert!(error(&frames, look(2, 40), Some(&two)).contains("2 captions for 3 frames"));
        let letters = ["a", "b", "c"].map(String::from);
        assert!(error(&frames, look(2, 40), Some(&letters)).contains("not 'a'"));
    }
}
