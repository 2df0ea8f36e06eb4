/// The API described for people and generators, served at `GET /openapi.yaml`. A test checks
/// that it lists exactly the routes the router serves.
enum OpenAPIDocument {
    static let yaml = #"""
    openapi: 3.1.0
    info:
      title: Armory
      version: 0.1.0
      description: |
        Experiments between recommendation algorithms. Errors are {"error": {"code", "message"}}
        with a 4xx or 5xx status. Routes marked with the admin security scheme need
        `Authorization: Bearer $ARMORY_ADMIN_TOKEN`.
    components:
      securitySchemes:
        admin:
          type: http
          scheme: bearer
      parameters:
        id:
          name: id
          in: path
          required: true
          schema: {type: string, pattern: '^[a-z0-9-]{1,64}$'}
        limit:
          name: limit
          in: query
          schema: {type: integer, minimum: 1, maximum: 1000, default: 100}
      schemas:
        Error:
          type: object
          required: [error]
          properties:
            error:
              type: object
              required: [code, message]
              properties:
                code: {type: string}
                message: {type: string}
        Change:
          type: object
          required: [reason]
          additionalProperties: false
          properties:
            reason: {type: string, minLength: 1, maxLength: 1000, pattern: '\S', description: Why, for the audit log.}
            actor: {type: string, maxLength: 100, description: Who; defaults to admin.}
        Rollback:
          type: object
          required: [reason]
          additionalProperties: false
          oneOf: [{required: [to_version]}, {required: [to_arm]}]
          description: A change with where to go, to_version or to_arm (one, not both).
          properties:
            reason: {type: string, minLength: 1, maxLength: 1000, pattern: '\S', description: Why, for the audit log.}
            actor: {type: string, maxLength: 100, description: Who; defaults to admin.}
            to_version: {type: integer, minimum: 1, description: The weight version to restore.}
            to_arm: {type: string, minLength: 1, description: The arm to send all traffic to.}
        Event:
          type: object
          required: [type]
          additionalProperties: false
          properties:
            event_id: {type: string, pattern: '^[A-Za-z0-9_-]{1,64}$', description: 'Your id for the event, unique within its decision, so a retry counts once.'}
            type: {type: string, enum: [click, conversion, engagement, view, like]}
            decision_id: {type: string, minLength: 1, description: Required for click, conversion and engagement.}
            user_id: {type: string, minLength: 1, maxLength: 256, pattern: '^[^\x00-\x1F\x7F-\x9F]+$', description: At most 256 bytes of UTF-8, no control characters.}
            movie_id: {type: integer, minimum: 1, maximum: 2147483647}
            value: {type: number, minimum: 0, maximum: 1000000000, description: Engagement only, and required for it.}
            position: {type: integer, minimum: 0, maximum: 99}
            time: {type: [string, number], description: 'ISO 8601 or Unix seconds, within 365 days back and 5 minutes ahead; now when absent.'}
        Experiment:
          type: object
          properties:
            id: {type: string}
            description: {type: string}
            objective: {type: string, enum: [ctr, conversion, engagement]}
            policy: {type: string, enum: [fixed, thompson]}
            status: {type: string, enum: [running, paused, pinned]}
            pinned_arm: {type: string}
            config_version: {type: integer}
            weight_version: {type: integer}
            phase_start: {type: string, format: date-time}
            arms:
              type: array
              items:
                type: object
                properties:
                  name: {type: string}
                  algorithm: {type: string}
                  params: {type: object}
                  weight: {type: number}
                  configured_weight: {type: number}
      responses:
        Error:
          description: The problem, named.
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Error'}
        Experiment:
          description: The experiment after the change.
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Experiment'}
    paths:
      /health:
        get:
          summary: The process is up.
          responses:
            '200': {description: '{"status": "ok"}'}
      /ready:
        get:
          summary: Experiments are loaded and the state store answers.
          responses:
            '200': {description: Ready.}
            '503': {$ref: '#/components/responses/Error'}
      /metrics:
        get:
          summary: Prometheus metrics.
          responses:
            '200':
              description: The text exposition format.
              content:
                text/plain: {}
      /openapi.yaml:
        get:
          summary: This document.
          responses:
            '200':
              description: OpenAPI 3.1.
              content:
                application/yaml: {}
      /v1/algorithms:
        get:
          summary: The algorithm modules loaded, their parameters, and files refused.
          responses:
            '200': {description: '{"algorithms": [...], "refused": [...], "directories": [...]}'}
      /v1/recommendations:
        get:
          summary: Recommendations for a user from the arm the experiment assigns them.
          parameters:
            - {name: user_id, in: query, required: true, schema: {type: string, minLength: 1, maxLength: 256, pattern: '^[^\x00-\x1F\x7F-\x9F]+$'}}
            - {name: experiment, in: query, required: true, schema: {type: string, minLength: 1}}
            - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 100, default: 10}}
          responses:
            '200':
              description: A decision and its movies.
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      decision_id: {type: string, description: Send it back with clicks, conversions and engagement.}
                      experiment: {type: string}
                      arm: {type: string}
                      algorithm: {type: string}
                      in_experiment: {type: boolean}
                      fallback_used: {type: boolean}
                      items:
                        type: array
                        items:
                          type: object
                          properties:
                            movie_id: {type: integer}
                            title: {type: string}
                            score: {type: number}
            '400': {$ref: '#/components/responses/Error'}
            '404': {$ref: '#/components/responses/Error'}
            '503': {$ref: '#/components/responses/Error'}
      /v1/events:
        post:
          summary: One event or a batch of up to 1000; a batch with a bad event is refused whole.
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  oneOf:
                    - {$ref: '#/components/schemas/Event'}
                    - {type: array, items: {$ref: '#/components/schemas/Event'}, minItems: 1, maxItems: 1000}
          responses:
            '202': {description: '{"accepted": n} once the events are durable.'}
            '400': {$ref: '#/components/responses/Error'}
            '503': {$ref: '#/components/responses/Error'}
      /v1/experiments:
        get:
          summary: The experiments served.
          responses:
            '200': {description: '{"experiments": [Experiment]}'}
      /v1/experiments/{id}:
        get:
          summary: One experiment.
          parameters: [{$ref: '#/components/parameters/id'}]
          responses:
            '200': {$ref: '#/components/responses/Experiment'}
            '400': {$ref: '#/components/responses/Error'}
            '404': {$ref: '#/components/responses/Error'}
      /v1/experiments/{id}/results:
        get:
          summary: Per arm - trials, successes, rate, posterior mean, 95% interval, P(best), expected loss, weight, fallbacks (timeouts and errors) - the SRM p-value, and warnings.
          parameters:
            - {$ref: '#/components/parameters/id'}
            - {name: format, in: query, schema: {type: string, enum: [json, csv], default: json}}
          responses:
            '200':
              description: The results.
              content:
                application/json: {}
                text/csv: {}
            '400': {$ref: '#/components/responses/Error'}
            '404': {$ref: '#/components/responses/Error'}
            '503': {$ref: '#/components/responses/Error'}
      /v1/experiments/{id}/weights:
        get:
          summary: The weight versions, newest first.
          parameters: [{$ref: '#/components/parameters/id'}, {$ref: '#/components/parameters/limit'}]
          responses:
            '200': {description: '{"experiment", "current", "total", "versions": [...]}'}
            '400': {$ref: '#/components/responses/Error'}
            '404': {$ref: '#/components/responses/Error'}
      /v1/experiments/{id}/audit:
        get:
          summary: Who changed the experiment, how and why, newest first.
          parameters: [{$ref: '#/components/parameters/id'}, {$ref: '#/components/parameters/limit'}]
          responses:
            '200': {description: '{"entries": [...]}'}
            '400': {$ref: '#/components/responses/Error'}
      /v1/experiments/{id}/rollback:
        post:
          summary: Restore the weights of a version (as a new version), or send all traffic to one arm and freeze updates.
          security: [{admin: []}]
          parameters: [{$ref: '#/components/parameters/id'}]
          requestBody:
            required: true
            content:
              application/json:
                schema: {$ref: '#/components/schemas/Rollback'}
          responses:
            '200': {$ref: '#/components/responses/Experiment'}
            '400': {$ref: '#/components/responses/Error'}
            '401': {$ref: '#/components/responses/Error'}
            '404': {$ref: '#/components/responses/Error'}
            '409': {$ref: '#/components/responses/Error'}
      /v1/experiments/{id}/pause:
        post:
          summary: Serve the fallback arm to everyone and freeze the weights.
          security: [{admin: []}]
          parameters: [{$ref: '#/components/parameters/id'}]
          requestBody:
            required: true
            content:
              application/json:
                schema: {$ref: '#/components/schemas/Change'}
          responses:
            '200': {$ref: '#/components/responses/Experiment'}
            '400': {$ref: '#/components/responses/Error'}
            '401': {$ref: '#/components/responses/Error'}
            '404': {$ref: '#/components/responses/Error'}
      /v1/experiments/{id}/resume:
        post:
          summary: Serve by the weights again (also ends a rollback to one arm).
          security: [{admin: []}]
          parameters: [{$ref: '#/components/parameters/id'}]
          requestBody:
            required: true
            content:
              application/json:
                schema: {$ref: '#/components/schemas/Change'}
          responses:
            '200': {$ref: '#/components/responses/Experiment'}
            '400': {$ref: '#/components/responses/Error'}
            '401': {$ref: '#/components/responses/Error'}
            '404': {$ref: '#/components/responses/Error'}
      /v1/admin/reload:
        post:
          summary: Read the experiment files again; a changed file becomes a new config version, a bad one is refused and its previous version keeps serving.
          security: [{admin: []}]
          requestBody:
            required: true
            content:
              application/json:
                schema: {$ref: '#/components/schemas/Change'}
          responses:
            '200': {description: '{"loaded": [...], "refused": [...], "removed": [...]}'}
            '400': {$ref: '#/components/responses/Error'}
            '401': {$ref: '#/components/responses/Error'}

    """#
}
