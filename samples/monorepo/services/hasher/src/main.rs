//! hasher: FNV-1a 64 of each argument (or of "hello"), no dependencies.

fn fnv1a(data: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in data {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

fn main() {
    println!(
        "hello from hasher on {}/{}",
        std::env::consts::OS,
        std::env::consts::ARCH
    );
    let mut words: Vec<String> = std::env::args().skip(1).collect();
    if words.is_empty() {
        words.push("hello".to_string());
    }
    for w in &words {
        println!("{:016x}  {}", fnv1a(w.as_bytes()), w);
    }
}
