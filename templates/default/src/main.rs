//! `hello-static`: greets the name it is given, and says how it was linked.

fn main() {
    let name = std::env::args().nth(1);
    println!("{}", hello_static::greeting(name.as_deref()));
}
