use super::harness::*;

#[test]
fn first_join_of_a_fresh_socket_is_ref_3() {
    let t = Harness::new();
    let ch = t.channel("room:lobby");
    t.join(&ch);
    t.connect();
    t.open();
    t.expect_sent(&[r#"["3","3","room:lobby","phx_join",{}]"#]);
    t.recv(&reply("3", "3", "room:lobby", "ok", "{}"));
    assert_eq!(t.state(&ch), "joined");
}
