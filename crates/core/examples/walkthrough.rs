//! `cargo run -p entropy-register-core --example walkthrough`: one registration's protocol
//! steps, in process, with the core's real rules and crypto (no chain, no network — those are
//! the devnet's job): the register call, the committee for N+1, the off-chain worker message
//! and each server's verdict, the Noise-authenticated DKG among the committee (and the user in
//! Private mode), the confirmations and the client's verification.

use std::collections::VecDeque;

use entropy_register_core::committee::{select_committee, InclusionBlock};
use entropy_register_core::dkg::{dkg_parties, DkgSession};
use entropy_register_core::eth::ethereum_address_eip55;
use entropy_register_core::keys::{dev_tss_keys, Sr25519Pair, X25519Keypair};
use entropy_register_core::new_user::{
    judge, NewUserFacts, NewUserVerdict, FRESHNESS_WINDOW_BLOCKS,
};
use entropy_register_core::session::SessionId;
use entropy_register_core::types::*;
use entropy_register_core::verify::{verify_registration, Expectation, SeenConfirmation};

fn main() {
    let private = std::env::args().any(|a| a == "--private");
    let user = Sr25519Pair::from_suri("//Alice").expect("dev account");
    let user_x25519 = X25519Keypair::generate();
    let visibility = if private {
        KeyVisibility::Private(user_x25519.public)
    } else {
        KeyVisibility::Public
    };

    // Four servers, two subgroups, keys derived as the servers derive them.
    let names = ["alice", "bob", "charlie", "dave"];
    let servers: Vec<_> = names.iter().map(|n| dev_tss_keys(n).unwrap()).collect();
    let infos: Vec<ServerInfo> = servers
        .iter()
        .enumerate()
        .map(|(i, k)| ServerInfo {
            tss_account: k.account.account(),
            x25519_public_key: k.x25519.public,
            endpoint: format!("127.0.0.1:{}", 3001 + i).into_bytes(),
        })
        .collect();
    let groups = [vec![0usize, 1], vec![2, 3]];

    let request = RegisterArgs {
        program_modification_account: Sr25519Pair::from_suri("//Charlie").unwrap().account(),
        key_visibility: visibility,
        programs_data: ProgramsData::new(vec![ProgramInstance {
            program_pointer: [0; 32],
            program_config: vec![],
        }])
        .unwrap(),
    };
    let n = InclusionBlock(7);
    println!(
        "1. {} submits Registry.register ({}), included in block {}",
        user.account(),
        visibility_name(&visibility),
        n.0
    );
    println!(
        "   call data 0x{}",
        entropy_register_core::hex::encode(&request.call_data())
    );

    let committee = select_committee(
        n.committee_block(),
        groups.len() as u8,
        |g| groups.get(g as usize).cloned(),
        |_| true,
    )
    .unwrap();
    let members: Vec<usize> = committee.iter().map(|m| m.stash).collect();
    println!(
        "2. committee for block {} (N+1): {:?}",
        n.committee_block().0,
        members.iter().map(|i| names[*i]).collect::<Vec<_>>()
    );

    let msg = OcwMessageDkg {
        block_number: n.0,
        sig_request_accounts: vec![user.account().0.to_vec()],
        validators_info: members
            .iter()
            .map(|i| ValidatorInfo::from(&infos[*i]))
            .collect(),
    };
    let onchain = msg.sig_request_accounts.clone();
    for (i, s) in servers.iter().enumerate() {
        let verdict = judge(
            &msg,
            &NewUserFacts {
                own_tss_account: s.account.public(),
                already_served: false,
                best_block: n.0 + 1,
                onchain_accounts: Some(&onchain),
                expected_committee: Some(&msg.validators_info),
                freshness_window: FRESHNESS_WINDOW_BLOCKS,
            },
        )
        .unwrap();
        let answer = match verdict {
            NewUserVerdict::Accept { .. } => "200, starts the DKG",
            NewUserVerdict::NotInCommittee => "421, not in the committee",
            NewUserVerdict::NothingToDo => "204",
        };
        println!("3. /user/new at {}: {answer}", names[i]);
    }

    let committee_accounts: Vec<AccountId32> =
        members.iter().map(|i| infos[*i].tss_account).collect();
    let parties = dkg_parties(&committee_accounts, user.account(), &visibility);
    let sid = SessionId::dkg(user.account(), n);
    let mut signers: Vec<Sr25519Pair> = members
        .iter()
        .map(|i| servers[*i].account.clone())
        .collect();
    if private {
        signers.push(user.clone());
    }
    let mut sessions: Vec<_> = signers
        .into_iter()
        .map(|p| DkgSession::new(sid, parties.clone(), p).unwrap())
        .collect();
    let mut queue = VecDeque::new();
    for s in sessions.iter_mut() {
        queue.extend(s.start().unwrap().outgoing);
    }
    let mut shares = vec![None; parties.len()];
    let mut messages = 0;
    while let Some(m) = queue.pop_front() {
        messages += 1;
        let i = parties.iter().position(|p| *p == m.to).unwrap();
        let p = sessions[i].handle(&m.bytes).unwrap();
        queue.extend(p.outgoing);
        if let Some(k) = p.key_share {
            shares[i] = Some(k);
        }
    }
    let vk = shares[0].as_ref().unwrap().verifying_key();
    println!(
        "4. DKG among {} parties, {messages} signed messages: verifying key 0x{}",
        parties.len(),
        vk.to_hex()
    );

    let confirmations: Vec<SeenConfirmation> = committee_accounts
        .iter()
        .enumerate()
        .map(|(g, a)| SeenConfirmation {
            signer: *a,
            subgroup: g as u8,
            verifying_key: vk.as_bytes().to_vec(),
            block: n.0 + 2,
        })
        .collect();
    let registered = RegisteredInfo {
        key_visibility: visibility,
        programs_data: request.programs_data.clone(),
        program_modification_account: request.program_modification_account,
        version_number: KEY_VERSION_NUMBER,
    };
    let committee_infos: Vec<ServerInfo> = members.iter().map(|i| infos[*i].clone()).collect();
    let own = if private {
        shares.last().unwrap().as_ref().map(|k| k.verifying_key())
    } else {
        None
    };
    let verified = verify_registration(
        &Expectation {
            account: user.account(),
            inclusion_block: n,
            request: &request,
            committee: &committee_infos,
            subgroups: groups.len() as u8,
        },
        &confirmations,
        Some(&registered),
        own.as_ref(),
    )
    .unwrap();
    println!("5. both subgroups confirmed; the client verified the registration");
    println!("   verifying key    0x{}", verified.verifying_key.to_hex());
    println!(
        "   ethereum address {}",
        ethereum_address_eip55(&verified.verifying_key)
    );
}

fn visibility_name(v: &KeyVisibility) -> &'static str {
    match v {
        KeyVisibility::Public => "Public",
        KeyVisibility::Private(_) => "Private",
    }
}
