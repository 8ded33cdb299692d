//! The local stand-in for Workers AI: a deterministic picture derived from the prompt and the
//! step count (a two-colour gradient sky and `steps` flat discs), encoded as a small PNG.
use super::png;

pub const SIZE: u32 = 256;
const SIDE: usize = SIZE as usize;

/// A PNG for this prompt and step count; the same inputs always give the same bytes.
pub fn render(prompt: &str, steps: u32) -> Result<Vec<u8>, &'static str> {
    png::encode_rgb(SIZE, SIZE, &pixels(prompt, steps))
}

/// RGB pixels, row by row.
pub fn pixels(prompt: &str, steps: u32) -> Vec<u8> {
    let mut rng = SplitMix(fnv1a(prompt.as_bytes()) ^ u64::from(steps).wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let hue = rng.unit() * 360.0;
    let top = hsv(hue, 0.35 + 0.3 * rng.unit(), 0.95);
    let bottom = hsv(hue + 90.0 + 180.0 * rng.unit(), 0.5 + 0.4 * rng.unit(), 0.35 + 0.3 * rng.unit());
    let mut img = vec![0u8; SIDE * SIDE * 3];
    for (y, row) in img.chunks_exact_mut(SIDE * 3).enumerate() {
        let t = y as f64 / (SIDE - 1) as f64;
        let colour = [0, 1, 2].map(|c| lerp(top[c], bottom[c], t));
        row.chunks_exact_mut(3).for_each(|px| px.copy_from_slice(&colour));
    }
    for _ in 0..steps.clamp(1, 16) {
        let (cx, cy) = (rng.below(SIDE), rng.below(SIDE));
        let r = 12 + rng.below(52);
        let colour = hsv(rng.unit() * 360.0, 0.55 + 0.4 * rng.unit(), 0.6 + 0.4 * rng.unit());
        disc(&mut img, cx, cy, r, colour);
    }
    img
}

fn disc(img: &mut [u8], cx: usize, cy: usize, r: usize, colour: [u8; 3]) {
    for y in cy.saturating_sub(r)..(cy + r + 1).min(SIDE) {
        for x in cx.saturating_sub(r)..(cx + r + 1).min(SIDE) {
            let (dx, dy) = (x.abs_diff(cx), y.abs_diff(cy));
            if dx * dx + dy * dy <= r * r {
                let at = (y * SIDE + x) * 3;
                if let Some(px) = img.get_mut(at..at + 3) {
                    px.copy_from_slice(&colour);
                }
            }
        }
    }
}

fn lerp(a: u8, b: u8, t: f64) -> u8 {
    (f64::from(a) + (f64::from(b) - f64::from(a)) * t).round().clamp(0.0, 255.0) as u8
}

/// Hue in degrees (any value), saturation and value in 0..=1.
fn hsv(hue: f64, s: f64, v: f64) -> [u8; 3] {
    let h = hue.rem_euclid(360.0) / 60.0;
    let c = v * s;
    let x = c * (1.0 - (h % 2.0 - 1.0).abs());
    let (r, g, b) = match h as u32 {
        0 => (c, x, 0.0),
        1 => (x, c, 0.0),
        2 => (0.0, c, x),
        3 => (0.0, x, c),
        4 => (x, 0.0, c),
        _ => (c, 0.0, x),
    };
    let m = v - c;
    [r, g, b].map(|ch| ((ch + m) * 255.0).round().clamp(0.0, 255.0) as u8)
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// SplitMix64: tiny, fast, and good enough to spread a seed over a picture.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}
