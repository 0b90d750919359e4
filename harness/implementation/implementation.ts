import type { RoleStarters } from '../systems/role';
import type { RoleTables } from './roles';

export type { BrokerParams, ClientParams, WorkerParams } from '../systems/request-reply/roles';
export type { PubSubProxyParams, PublisherParams, SubscriberParams } from '../systems/pubsub/roles';

/**
 * How to start each role of an implementation under test: one method per role of every system's
 * role table (`broker(params)`, `pubsubProxy(params)`, ...). The reference implementation is one; a
 * manifest describes another. Roles are independent, so they can be mixed.
 */
export type Implementation = { readonly name: string } & RoleStarters<RoleTables>;
