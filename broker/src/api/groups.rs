//! FindCoordinator: this node coordinates every group. The group APIs themselves live in
//! `crate::group` (the coordinator).

use kafka_protocol::error::ResponseError as E;
use kafka_protocol::messages::find_coordinator_response::Coordinator;
use kafka_protocol::messages::{BrokerId, FindCoordinatorRequest, FindCoordinatorResponse};

use super::sb;
use crate::state::Broker;

const KEY_TYPE_GROUP: i8 = 0;

pub fn find_coordinator(
    b: &Broker,
    req: FindCoordinatorRequest,
    version: i16,
) -> FindCoordinatorResponse {
    let mut r = FindCoordinatorResponse::default();
    let node = BrokerId(b.config.node_id);
    let host = sb(b.config.advertised.host.clone());
    let port = b.config.advertised.port as i32;
    let supported = req.key_type == KEY_TYPE_GROUP;
    if version >= 4 {
        for key in req.coordinator_keys {
            let mut c = Coordinator::default();
            c.key = key;
            if supported {
                c.node_id = node;
                c.host = host.clone();
                c.port = port;
            } else {
                c.node_id = BrokerId(-1);
                c.port = -1;
                c.error_code = E::CoordinatorNotAvailable.code();
                c.error_message = Some(sb("transactions are not supported yet"));
            }
            r.coordinators.push(c);
        }
    } else if supported {
        r.node_id = node;
        r.host = host;
        r.port = port;
    } else {
        r.node_id = BrokerId(-1);
        r.port = -1;
        r.error_code = E::CoordinatorNotAvailable.code();
    }
    r
}
