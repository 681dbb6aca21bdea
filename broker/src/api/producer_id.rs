//! InitProducerId for idempotent producers: a new id from the metadata store, or the same id
//! with a bumped epoch when the client asks for one (KIP-360). Transactions are not served yet.

use kafka_protocol::error::ResponseError as E;
use kafka_protocol::messages::{InitProducerIdRequest, InitProducerIdResponse, ProducerId};

use crate::state::Broker;

pub fn handle(b: &Broker, req: InitProducerIdRequest, _version: i16) -> InitProducerIdResponse {
    let mut r = InitProducerIdResponse::default();
    r.producer_id = ProducerId(-1);
    r.producer_epoch = -1;
    if req.transactional_id.is_some() {
        tracing::warn!(
            "a transactional producer asked for a producer id; transactions are not supported yet"
        );
        r.error_code = E::TransactionalIdAuthorizationFailed.code();
        return r;
    }
    if req.producer_id.0 >= 0 && req.producer_epoch >= 0 && req.producer_epoch < i16::MAX - 1 {
        r.producer_id = req.producer_id;
        r.producer_epoch = req.producer_epoch + 1;
        return r;
    }
    match b.meta.next_producer_id() {
        Ok(id) => {
            r.producer_id = ProducerId(id);
            r.producer_epoch = 0;
        }
        Err(e) => {
            tracing::warn!(error = %e, "could not allocate a producer id");
            r.error_code = E::KafkaStorageError.code();
        }
    }
    r
}
