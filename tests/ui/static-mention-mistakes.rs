use dingtalk_bot::Message;

#[derive(Message)]
#[dingtalk(text(content = "disk full"))]
#[dingtalk(at_mobiles = "")]
#[dingtalk(at_user_ids = "manager01,,manager02")]
struct DiskFull;

#[derive(Message)]
#[dingtalk(text(content = "disk full"), at_mobiles = "13800000000 13900000000")]
#[dingtalk(at_user_ids, at_all = "yes")]
struct DiskFuller;

#[derive(Message)]
#[dingtalk(text(content = "disk full"), at_all, at_all = false)]
struct DiskFullest;

fn main() {}
