/** Every /v1 operation, one file each; the OpenAPI document is generated from them. */
import type { App } from "../context";
import * as customersCreate from "./customers/create";
import * as customersDelete from "./customers/delete";
import * as customersGet from "./customers/get";
import * as customersList from "./customers/list";
import * as customersRotateKey from "./customers/rotate-key";
import * as customersUpdate from "./customers/update";
import * as endpointsCreate from "./endpoints/create";
import * as endpointsDelete from "./endpoints/delete";
import * as endpointsGet from "./endpoints/get";
import * as endpointsList from "./endpoints/list";
import * as endpointsRotateSecret from "./endpoints/rotate-secret";
import * as endpointsRotateSigningKey from "./endpoints/rotate-signing-key";
import * as endpointsUpdate from "./endpoints/update";
import * as endpointsRecover from "./endpoints/recover";
import * as endpointsTest from "./endpoints/test";
import * as endpointsTests from "./endpoints/tests";
import * as eventTypesList from "./event-types/list";
import * as eventTypesWebhooks from "./event-types/webhooks";
import * as eventsList from "./events/list";
import * as eventsGet from "./events/get";
import * as eventsDeliveries from "./events/deliveries";
import * as eventsReplay from "./events/replay";
import * as deliveriesAttempts from "./deliveries/attempts";
import * as casesGet from "./cases/get";
import * as receiptsReplay from "./receipts/replay";
import * as sourcesCreate from "./sources/create";
import * as sourcesDelete from "./sources/delete";
import * as sourcesGet from "./sources/get";
import * as sourcesList from "./sources/list";
import * as sourcesUpdate from "./sources/update";
import * as issuesList from "./issues/list";
import * as issuesGet from "./issues/get";
import * as issuesUpdate from "./issues/update";
import * as alertEndpointsCreate from "./alert-endpoints/create";
import * as alertEndpointsList from "./alert-endpoints/list";
import * as alertEndpointsGet from "./alert-endpoints/get";
import * as alertEndpointsDelete from "./alert-endpoints/delete";

export const v1Routes: ((app: App) => void)[] = [
  customersCreate.register,
  customersList.register,
  customersGet.register,
  customersUpdate.register,
  customersDelete.register,
  customersRotateKey.register,
  sourcesCreate.register,
  sourcesList.register,
  sourcesGet.register,
  sourcesUpdate.register,
  sourcesDelete.register,
  endpointsCreate.register,
  endpointsList.register,
  endpointsGet.register,
  endpointsUpdate.register,
  endpointsDelete.register,
  endpointsRotateSecret.register,
  endpointsRotateSigningKey.register,
  endpointsRecover.register,
  endpointsTest.register,
  endpointsTests.register,
  eventsList.register,
  eventsGet.register,
  eventsDeliveries.register,
  eventsReplay.register,
  deliveriesAttempts.register,
  casesGet.register,
  receiptsReplay.register,
  issuesList.register,
  issuesGet.register,
  issuesUpdate.register,
  alertEndpointsCreate.register,
  alertEndpointsList.register,
  alertEndpointsGet.register,
  alertEndpointsDelete.register,
  eventTypesList.register,
  eventTypesWebhooks.register,
];
