use crate::{client, count, customer, sim};
use acronis::{AccessPolicy, Contact, Error, UserCreate};

fn new_user(tenant: &str, login: &str) -> UserCreate {
    UserCreate {
        tenant_id: tenant.to_string(),
        login: login.to_string(),
        contact: Contact {
            email: Some(format!("{login}@example.com")),
            firstname: Some("Pat".into()),
            lastname: Some("Admin".into()),
            ..Contact::default()
        },
        enabled: None,
        language: None,
        notifications: Vec::new(),
        external_id: None,
    }
}

#[tokio::test]
async fn creates_an_admin_and_sends_one_activation_email() {
    let sim = sim(1).await;
    let acronis = client(&sim);
    assert!(acronis.check_login("pat.admin").await.expect("check"));
    let user = acronis
        .create_user(&new_user(&customer(1), "pat.admin"))
        .await
        .expect("create");
    assert_eq!(user.tenant_id, customer(1));
    assert!(!user.activated);
    assert!(
        !acronis.check_login("pat.admin").await.expect("check"),
        "now taken"
    );

    acronis
        .set_access_policies(
            &user.id,
            &[AccessPolicy::user_role(
                "company_admin",
                &customer(1),
                &user.id,
            )],
        )
        .await
        .expect("roles");
    let roles = acronis.access_policies(&user.id).await.expect("read roles");
    assert_eq!(roles.len(), 1);
    assert_eq!(roles[0].role_id, "company_admin");
    assert_eq!(roles[0].tenant_id, customer(1));

    acronis.send_activation_email(&user.id).await.expect("mail");
    let mails = sim.activation_emails();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0]["email"], "pat.admin@example.com");

    let read = acronis.get_user(&user.id).await.expect("get");
    assert_eq!(read.login, "pat.admin");
    assert_eq!(count(&sim, "users", "check_login"), 2);
}

#[tokio::test]
async fn taken_login_is_refused_on_create() {
    let sim = sim(1).await;
    let acronis = client(&sim);
    acronis
        .create_user(&new_user(&customer(1), "dup"))
        .await
        .expect("first");
    let err = acronis
        .create_user(&new_user(&customer(1), "DUP"))
        .await
        .expect_err("second");
    assert!(matches!(err, Error::Api { status: 409, .. }), "{err}");
    assert_eq!(count(&sim, "users", "create"), 2, "a 409 is not retried");
}
